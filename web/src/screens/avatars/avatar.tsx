import { useEffect, useState } from "preact/hooks";
import { api, run } from "../../api/client";
import type { AvatarWithProject } from "../../api/types";
import { formatDateTime, parseStringArray, titleCase } from "../../lib/format";
import { useAction, useLoad, useTitle } from "../../lib/hooks";
import { Link, navigate } from "../../lib/router";
import { Badge, ConfirmDialog, Empty, Field, LoadState, Notice, PageHeader, ProblemMessage, Stat } from "../../ui/kit";
import { PERSONA_FIELDS, PersonaFields, personaFromAvatar, personaUpdate, type PersonaValues } from "./persona";

export function AvatarPage({ id }: { id: string }) {
    const avatar = useLoad(() => run(api.GET("/api/apps/avatar-creator/avatars/{id}", { params: { path: { id } } })), [id]);
    const usage = useLoad(
        () => run(api.GET("/api/apps/avatar-creator/avatars/{id}/usage-history", { params: { path: { id }, query: { limit: 50 } } })),
        [id],
    );
    const examples = useLoad(() => run(api.GET("/api/apps/avatar-creator/persona-examples")), []);
    useTitle(avatar.data?.avatar.name ?? "Avatar");
    return (
        <LoadState state={avatar} label="Loading the avatar…">
            {({ avatar: a }) => (
                <>
                    <PageHeader
                        title={a.name}
                        back={{ href: `/avatars/projects/${a.projectId}`, label: a.project.name }}
                        description={`${titleCase(a.sourceType)} · created ${formatDateTime(a.createdAt)}`}
                    >
                        <Link class="btn btn--primary" href={`/poses/projects?new=1&avatar=${a.id}`}>
                            Use in Pose Generator
                        </Link>
                    </PageHeader>
                    <div class="avatar-layout">
                        <figure class="avatar-figure">
                            <img src={a.baseImageUrl} alt={`${a.name}, full image`} />
                            <figcaption class="small muted">
                                <a href={a.baseImageUrl} download>
                                    Download the original
                                </a>
                                {a.seedUsed !== null && a.seedUsed !== undefined && <> · seed {a.seedUsed}</>}
                            </figcaption>
                            {a.generationPrompt && <p class="small">“{a.generationPrompt}”</p>}
                        </figure>
                        <EditAvatar avatar={a} examples={examples.data?.personaExamples} onSaved={(next) => avatar.set({ avatar: next })} />
                    </div>
                    <section class="card" aria-labelledby="usage-h">
                        <h2 id="usage-h">Usage</h2>
                        <div class="stats stats--compact">
                            <Stat label="Times used" value={a.usageCount} />
                            <Stat label="Last used" value={formatDateTime(a.lastUsedAt)} />
                        </div>
                        <LoadState state={usage} label="Loading usage history…">
                            {(u) =>
                                u.history.length === 0 ? (
                                    <Empty title="Not used yet">
                                        <p>When an app such as the Pose Generator uses this avatar, it is listed here.</p>
                                    </Empty>
                                ) : (
                                    <>
                                        <ul class="chips">
                                            {u.summary.map((s) => (
                                                <li key={s.appId} class="chip">
                                                    {s.appName}: {s.count}× (last {formatDateTime(s.lastUsed)})
                                                </li>
                                            ))}
                                        </ul>
                                        <div class="table-wrap">
                                            <table class="table">
                                                <caption class="sr-only">Usage history</caption>
                                                <thead>
                                                    <tr>
                                                        <th scope="col">When</th>
                                                        <th scope="col">App</th>
                                                        <th scope="col">Action</th>
                                                    </tr>
                                                </thead>
                                                <tbody>
                                                    {u.history.map((h) => (
                                                        <tr key={h.id}>
                                                            <td>{formatDateTime(h.createdAt)}</td>
                                                            <td>{h.appName}</td>
                                                            <td>{titleCase(h.action)}</td>
                                                        </tr>
                                                    ))}
                                                </tbody>
                                            </table>
                                        </div>
                                    </>
                                )
                            }
                        </LoadState>
                    </section>
                    <DeleteAvatar avatar={a} />
                </>
            )}
        </LoadState>
    );
}

function EditAvatar({
    avatar,
    examples,
    onSaved,
}: {
    avatar: AvatarWithProject;
    examples: Parameters<typeof PersonaFields>[0]["examples"];
    onSaved: (a: AvatarWithProject) => void;
}) {
    const [name, setName] = useState(avatar.name);
    const [persona, setPersona] = useState<PersonaValues>(() => personaFromAvatar(avatar));
    const [saved, setSaved] = useState(false);
    const action = useAction();
    useEffect(() => {
        setName(avatar.name);
        setPersona(personaFromAvatar(avatar));
    }, [avatar.id]);
    async function submit(e: Event) {
        e.preventDefault();
        setSaved(false);
        const r = await action.run(() =>
            run(api.PUT("/api/apps/avatar-creator/avatars/{id}", { params: { path: { id: avatar.id } }, body: { name, ...personaUpdate(persona) } })),
        );
        if (r) {
            onSaved({ ...r.avatar, project: avatar.project });
            setSaved(true);
        }
    }
    const traits = parseStringArray(avatar.personaPersonality);
    return (
        <form class="card stack" onSubmit={submit} noValidate aria-labelledby="persona-h">
            <h2 id="persona-h">Persona and attributes</h2>
            {traits.length > 0 && (
                <ul class="chips" aria-label="Personality">
                    {traits.map((t) => (
                        <li key={t} class="chip">
                            {t}
                        </li>
                    ))}
                </ul>
            )}
            <Field label="Avatar name" name="name" problem={action.problem}>
                {(p) => <input {...p} required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />}
            </Field>
            <PersonaFields values={persona} onChange={setPersona} problem={action.problem} examples={examples} />
            <ProblemMessage problem={action.problem} fields={["name", ...PERSONA_FIELDS]} />
            {saved && <Notice kind="success">Saved. Editing a persona is free.</Notice>}
            <div>
                <button type="submit" class="btn btn--primary" disabled={action.busy}>
                    {action.busy ? "Saving…" : "Save changes"}
                </button>
            </div>
        </form>
    );
}

function DeleteAvatar({ avatar }: { avatar: AvatarWithProject }) {
    const [open, setOpen] = useState(false);
    const action = useAction();
    async function remove() {
        const r = await action.run(() => run(api.DELETE("/api/apps/avatar-creator/avatars/{id}", { params: { path: { id: avatar.id } } })));
        if (r) navigate(`/avatars/projects/${avatar.projectId}`);
    }
    return (
        <section class="card card--danger" aria-labelledby="danger-h">
            <h2 id="danger-h">Delete this avatar</h2>
            <p class="muted">
                <Badge value="failed" label="permanent" /> The image and its usage history are removed. Pose projects that used it keep their
                generated poses.
            </p>
            <button type="button" class="btn btn--danger-outline" onClick={() => setOpen(true)}>
                Delete avatar
            </button>
            <ConfirmDialog
                open={open}
                title={`Delete “${avatar.name}”?`}
                confirmLabel="Delete avatar"
                busy={action.busy}
                problem={action.problem}
                onConfirm={() => void remove()}
                onClose={() => setOpen(false)}
            >
                <p>
                    This deletes the avatar <strong>{avatar.name}</strong> from <strong>{avatar.project.name}</strong>, its image and its usage
                    history ({avatar.usageCount} uses). This cannot be undone.
                </p>
            </ConfirmDialog>
        </section>
    );
}
