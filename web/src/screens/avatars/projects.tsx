import { useState } from "preact/hooks";
import { api, run } from "../../api/client";
import type { AvatarProjectWithAvatars } from "../../api/types";
import { plural } from "../../lib/format";
import { useAction, useLoad, useTitle } from "../../lib/hooks";
import { Link, navigate } from "../../lib/router";
import { Dialog, Empty, Field, Img, LoadState, PageHeader, ProblemMessage, Stat } from "../../ui/kit";

export function AvatarProjects() {
    useTitle("Avatar Creator");
    const projects = useLoad(() => run(api.GET("/api/apps/avatar-creator/projects")), []);
    const stats = useLoad(() => run(api.GET("/api/apps/avatar-creator/stats")), []);
    const [creating, setCreating] = useState(false);
    return (
        <>
            <PageHeader title="Avatar Creator" description="Projects group your avatars: a campaign, a brand, a cast of characters.">
                <button type="button" class="btn btn--primary" onClick={() => setCreating(true)}>
                    New project
                </button>
            </PageHeader>
            <LoadState state={stats} label="Loading stats…">
                {(s) => (
                    <div class="stats" aria-label="Avatar Creator stats">
                        <Stat label="Avatars" value={s.stats.totalAvatars} />
                        <Stat label="Projects" value={s.stats.totalProjects} />
                        <Stat label="Created in the last 7 days" value={s.stats.recentUploads} />
                        <Stat label="Times used by apps" value={s.stats.totalUsage} />
                        <Stat label="Average use per avatar" value={s.stats.averageUsage} />
                    </div>
                )}
            </LoadState>
            <LoadState state={projects} label="Loading projects…">
                {(d) =>
                    d.projects.length === 0 ? (
                        <Empty title="No projects yet">
                            <p>Create a project, then upload, generate or pick a preset to make your first avatar.</p>
                            <button type="button" class="btn btn--primary" onClick={() => setCreating(true)}>
                                Create your first project
                            </button>
                        </Empty>
                    ) : (
                        <ul class="card-grid" aria-label="Projects">
                            {d.projects.map((p) => (
                                <li key={p.id}>
                                    <ProjectCard project={p} />
                                </li>
                            ))}
                        </ul>
                    )
                }
            </LoadState>
            <CreateProjectDialog open={creating} onClose={() => setCreating(false)} />
        </>
    );
}

function ProjectCard({ project }: { project: AvatarProjectWithAvatars }) {
    const thumbs = project.avatars.slice(0, 4);
    return (
        <Link class="project-card" href={`/avatars/projects/${project.id}`}>
            <div class={`mosaic mosaic--${Math.max(1, thumbs.length)}`}>
                {thumbs.length === 0 ? (
                    <div class="mosaic__empty" aria-hidden="true">
                        No avatars yet
                    </div>
                ) : (
                    thumbs.map((a) => <Img key={a.id} src={a.thumbnailUrl ?? a.baseImageUrl} alt="" />)
                )}
            </div>
            <div class="project-card__body">
                <h2 class="project-card__title">{project.name}</h2>
                <p class="muted small">{project.description || "No description"}</p>
                <p class="small">{plural(project.avatars.length, "avatar")}</p>
            </div>
        </Link>
    );
}

function CreateProjectDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
    const [name, setName] = useState("");
    const [description, setDescription] = useState("");
    const action = useAction();
    async function submit(e: Event) {
        e.preventDefault();
        const r = await action.run(() =>
            run(api.POST("/api/apps/avatar-creator/projects", { body: { name, description: description.trim() || null } })),
        );
        if (r) navigate(`/avatars/projects/${r.project.id}`);
    }
    return (
        <Dialog open={open} title="New project" onClose={onClose}>
            <form onSubmit={submit} noValidate>
                <Field label="Project name" name="name" problem={action.problem}>
                    {(p) => <input {...p} required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />}
                </Field>
                <Field label="Description" name="description" problem={action.problem} hint="Optional, up to 500 characters.">
                    {(p) => <textarea {...p} rows={3} maxLength={500} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />}
                </Field>
                <ProblemMessage problem={action.problem} fields={["name", "description"]} />
                <div class="dialog__actions">
                    <button type="button" class="btn" onClick={onClose}>
                        Cancel
                    </button>
                    <button type="submit" class="btn btn--primary" disabled={action.busy}>
                        {action.busy ? "Creating…" : "Create project"}
                    </button>
                </div>
            </form>
        </Dialog>
    );
}
