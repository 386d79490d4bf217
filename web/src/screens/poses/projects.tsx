import { useState } from "preact/hooks";
import { api, run, type Result } from "../../api/client";
import { localProblem } from "../../api/errors";
import type { CreatePoseProjectRequest, PoseGeneratorProject } from "../../api/types";
import { uploadAvatar } from "../../api/upload";
import { ACCEPT, checkImage, type ImageCheck } from "../../lib/image-check";
import { PriceLine } from "../avatars/add";
import { formatDate, plural } from "../../lib/format";
import { useAction, useLoad, useTitle } from "../../lib/hooks";
import { Link, navigate, setQuery, useQuery } from "../../lib/router";
import { Badge, Dialog, Empty, Field, Img, LoadState, PageHeader, Pagination, ProblemMessage, ProgressBar, cx } from "../../ui/kit";

export function PoseProjects() {
    useTitle("Pose projects");
    const q = useQuery();
    const page = Math.max(1, Number(q.get("page") ?? "1") || 1);
    const status = q.get("status") === "archived" ? "archived" : "active";
    const projects = useLoad(
        () => run(api.GET("/api/apps/pose-generator/projects", { params: { query: { page, limit: 12, status } } })),
        [page, status],
    );
    const creating = q.get("new") === "1";
    return (
        <>
            <PageHeader title="Pose projects" description="A pose project holds one avatar and every generation you make with it.">
                <button type="button" class="btn btn--primary" onClick={() => setQuery({ new: 1 })}>
                    New pose project
                </button>
            </PageHeader>
            <div class="chips" role="group" aria-label="Project status">
                <button type="button" class="chip" aria-pressed={status === "active"} onClick={() => setQuery({ status: undefined, page: undefined })}>
                    Active
                </button>
                <button type="button" class="chip" aria-pressed={status === "archived"} onClick={() => setQuery({ status: "archived", page: undefined })}>
                    Archived
                </button>
            </div>
            <LoadState state={projects} label="Loading projects…">
                {(d) =>
                    d.projects.length === 0 ? (
                        <Empty title={status === "archived" ? "No archived projects." : "No pose projects yet"}>
                            <p>Create one with an avatar from the Avatar Creator, then generate it in any pose.</p>
                        </Empty>
                    ) : (
                        <>
                            <ul class="card-grid" aria-label="Pose projects">
                                {d.projects.map((p) => (
                                    <li key={p.id}>
                                        <PoseProjectCard project={p} />
                                    </li>
                                ))}
                            </ul>
                            <Pagination
                                page={d.pagination.page}
                                totalPages={d.pagination.totalPages}
                                total={d.pagination.total}
                                label="Project pages"
                                hrefFor={(p) => `/poses/projects?${new URLSearchParams({ ...(status === "archived" ? { status } : {}), page: String(p) })}`}
                            />
                        </>
                    )
                }
            </LoadState>
            <CreatePoseProjectDialog
                open={creating}
                avatarId={q.get("avatar") ?? ""}
                onClose={() => setQuery({ new: undefined, avatar: undefined }, true)}
            />
        </>
    );
}

function PoseProjectCard({ project }: { project: PoseGeneratorProject }) {
    return (
        <Link class="project-card" href={`/poses/projects/${project.id}`}>
            <div class="mosaic mosaic--1">
                <Img src={project.avatarImageUrl} alt="" />
            </div>
            <div class="project-card__body">
                <h2 class="project-card__title">{project.projectName}</h2>
                <p class="muted small">{project.description || `Created ${formatDate(project.createdAt)}`}</p>
                <p class="small">
                    {plural(project.totalGenerations, "generation")} · {plural(project.totalPosesGenerated, "pose")} <Badge value={project.status} />
                </p>
            </div>
        </Link>
    );
}

type SourceChoice = "avatar" | "upload" | "url";
const UPLOADS_PROJECT = "Pose Generator uploads";

/**
 * A new pose project. Its avatar is one of the user's Avatar Creator avatars, a photo uploaded
 * here (it goes through the Avatar Creator upload, with its checks, price and progress, into a
 * project named "Pose Generator uploads", since the Pose Generator has no upload of its own), or
 * the address of an image.
 */
export function CreatePoseProjectDialog({ open, avatarId, onClose }: { open: boolean; avatarId: string; onClose: () => void }) {
    const avatars = useLoad(
        () => (open ? run(api.GET("/api/apps/avatar-creator/avatars")) : Promise.resolve({ ok: true as const, data: { avatars: [] }, response: new Response() })),
        [open],
    );
    const stats = useLoad(() => (open ? run(api.GET("/api/apps/avatar-creator/stats")) : Promise.resolve({ ok: false as const, problem: localProblem("") })), [open]);
    const [name, setName] = useState("");
    const [description, setDescription] = useState("");
    const [source, setSource] = useState<SourceChoice>("avatar");
    const [chosen, setChosen] = useState(avatarId);
    const [url, setUrl] = useState("");
    const [file, setFile] = useState<File | null>(null);
    const [check, setCheck] = useState<ImageCheck | null>(null);
    const [progress, setProgress] = useState<number | null>(null);
    const action = useAction();
    const pick = chosen || avatarId;
    const uploadCost = stats.data ? (stats.data.hasEnterpriseUnlimited ? 0 : stats.data.costs.uploadAvatar) : undefined;

    async function uploadFirst(): Promise<Result<{ avatarId: string; url: string }>> {
        if (!file) return { ok: false, problem: localProblem("Choose a photo to upload.", { image: ["Choose a photo."] }) };
        const c = check ?? (await checkImage(file));
        if (c.errors.length) return { ok: false, problem: localProblem("This image cannot be uploaded.", { image: c.errors }) };
        const projects = await run(api.GET("/api/apps/avatar-creator/projects"));
        if (!projects.ok) return projects;
        let projectId = projects.data.projects.find((p) => p.name === UPLOADS_PROJECT)?.id;
        if (!projectId) {
            const created = await run(api.POST("/api/apps/avatar-creator/projects", { body: { name: UPLOADS_PROJECT } }));
            if (!created.ok) return created;
            projectId = created.data.project.id;
        }
        setProgress(0);
        const up = await uploadAvatar(projectId, { image: file, name: name.trim() || file.name }, file.name, setProgress);
        setProgress(null);
        if (!up.ok) return up;
        return { ok: true, data: { avatarId: up.data.avatar.id, url: up.data.avatar.baseImageUrl }, response: up.response };
    }

    async function submit(e: Event) {
        e.preventDefault();
        const r = await action.run(async () => {
            const body: CreatePoseProjectRequest = { projectName: name, description: description.trim() || null };
            if (source === "avatar") {
                body.avatarSource = "AVATAR_CREATOR";
                body.avatarId = pick;
            } else if (source === "url") {
                body.avatarSource = "UPLOAD";
                body.avatarImageUrl = url.trim() || null;
            } else {
                if (!name.trim()) return { ok: false, problem: localProblem("", { projectName: ["Project name is required"] }) };
                const up = await uploadFirst();
                if (!up.ok) return up;
                body.avatarSource = "UPLOAD";
                body.avatarImageUrl = up.data.url;
                body.avatarId = up.data.avatarId;
            }
            return run(api.POST("/api/apps/pose-generator/projects", { body }));
        });
        if (r) navigate(`/poses/projects/${r.project.id}`);
    }
    return (
        <Dialog open={open} title="New pose project" onClose={onClose} wide>
            <form onSubmit={submit} noValidate class="stack">
                <Field label="Project name" name="projectName" problem={action.problem}>
                    {(p) => <input {...p} required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />}
                </Field>
                <Field label="Description" name="description" problem={action.problem}>
                    {(p) => <input {...p} maxLength={500} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />}
                </Field>
                <fieldset class="fieldset">
                    <legend>Avatar</legend>
                    <div class="chips" role="radiogroup" aria-label="Where the avatar comes from">
                        <label class="chip">
                            <input type="radio" name="avatarSource" checked={source === "avatar"} onChange={() => setSource("avatar")} /> One of my avatars
                        </label>
                        <label class="chip">
                            <input type="radio" name="avatarSource" checked={source === "upload"} onChange={() => setSource("upload")} /> Upload a photo
                        </label>
                        <label class="chip">
                            <input type="radio" name="avatarSource" checked={source === "url"} onChange={() => setSource("url")} /> An image address
                        </label>
                    </div>
                    {source === "avatar" && (
                        <LoadState state={avatars} label="Loading your avatars…">
                            {(d) =>
                                d.avatars.length === 0 ? (
                                    <Empty title="You have no avatars yet">
                                        <Link href="/avatars">Create one in the Avatar Creator</Link>, or upload a photo.
                                    </Empty>
                                ) : (
                                    <div role="radiogroup" aria-label="Choose an avatar" class="avatar-picker">
                                        {d.avatars.map((a) => (
                                            <label key={a.id} class={cx("avatar-picker__item", pick === a.id && "avatar-picker__item--on")}>
                                                <input type="radio" name="avatarId" value={a.id} checked={pick === a.id} onChange={() => setChosen(a.id)} />
                                                <Img src={a.thumbnailUrl ?? a.baseImageUrl} alt="" />
                                                <span>{a.name}</span>
                                            </label>
                                        ))}
                                    </div>
                                )
                            }
                        </LoadState>
                    )}
                    {source === "upload" && (
                        <>
                            <Field
                                label="Photo"
                                name="image"
                                problem={action.problem}
                                errors={check?.errors.length ? check.errors : undefined}
                                hint={
                                    check?.width
                                        ? `${check.kind} · ${check.width}×${check.height} px`
                                        : `JPEG, PNG or WebP, up to 10 MB, 256 to 4096 pixels per side. It is kept as an avatar in “${UPLOADS_PROJECT}”.`
                                }
                            >
                                {(p) => (
                                    <input
                                        {...p}
                                        type="file"
                                        accept={ACCEPT}
                                        onChange={async (e) => {
                                            const f = e.currentTarget.files?.[0] ?? null;
                                            setFile(f);
                                            setCheck(f ? await checkImage(f) : null);
                                        }}
                                    />
                                )}
                            </Field>
                            {progress !== null && <ProgressBar value={progress * 100} label="Upload progress" />}
                            {uploadCost !== undefined && <PriceLine cost={uploadCost} action="Uploading the photo" />}
                        </>
                    )}
                    {source === "url" && (
                        <Field
                            label="Image address"
                            name="avatarImageUrl"
                            problem={action.problem}
                            hint="An image already uploaded here (a /uploads/… address, such as an avatar's “Download the original” link) or any https:// image."
                        >
                            {(p) => <input {...p} type="url" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />}
                        </Field>
                    )}
                    {action.problem?.fields.avatarId && <p class="field__error">{action.problem.fields.avatarId.join(" ")}</p>}
                </fieldset>
                <ProblemMessage problem={action.problem} fields={["projectName", "description", "avatarImageUrl", "avatarId", "image"]} />
                <div class="dialog__actions">
                    <button type="button" class="btn" onClick={onClose}>
                        Cancel
                    </button>
                    <button type="submit" class="btn btn--primary" disabled={action.busy}>
                        {action.busy ? (progress !== null ? "Uploading…" : "Creating…") : "Create project"}
                    </button>
                </div>
            </form>
        </Dialog>
    );
}
