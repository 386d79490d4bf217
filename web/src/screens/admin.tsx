// The admin queue of pose requests (hidden from non-admins in the navigation; the API's 403
// is still shown as a sentence if someone opens the address).
import { useState } from "preact/hooks";
import { api, run } from "../api/client";
import type { PoseRequestWithUser } from "../api/types";
import { formatDate } from "../lib/format";
import { useAction, useLoad, useTitle } from "../lib/hooks";
import { setQuery, useQuery } from "../lib/router";
import { Badge, Dialog, Empty, Field, Img, LoadState, PageHeader, Pagination, ProblemMessage, Stat } from "../ui/kit";
import { REQUEST_STATUSES, isKey } from "./poses/shared";

export function AdminRequests() {
    useTitle("Request queue");
    const q = useQuery();
    const page = Math.max(1, Number(q.get("page") ?? "1") || 1);
    const raw = q.get("status");
    const status = isKey(REQUEST_STATUSES, raw) ? raw : undefined;
    const stats = useLoad(() => run(api.GET("/api/apps/pose-generator/admin/pose-requests/stats")), []);
    const popular = useLoad(() => run(api.GET("/api/apps/pose-generator/admin/pose-requests/popular", { params: { query: { limit: 5 } } })), []);
    const list = useLoad(
        () =>
            run(api.GET("/api/apps/pose-generator/admin/pose-requests", { params: { query: { page, limit: 20, ...(status ? { status } : {}) } } })),
        [page, status],
    );
    const [open, setOpen] = useState<PoseRequestWithUser | null>(null);
    const reloadAll = () => {
        stats.reload();
        popular.reload();
        list.reload();
    };
    return (
        <>
            <PageHeader title="Pose request queue" description="Review what users ask for: approve, reject, track work, and link the finished library pose." />
            <LoadState state={stats} label="Loading statistics…">
                {({ stats: s }) => (
                    <div class="stats" aria-label="Request statistics">
                        <Stat label="All requests" value={s.total} />
                        <Stat label="Pending" value={s.pending} />
                        <Stat label="Approved" value={s.approved} />
                        <Stat label="In progress" value={s.inProgress} />
                        <Stat label="Completed" value={s.completed} />
                        <Stat label="Rejected" value={s.rejected} />
                    </div>
                )}
            </LoadState>
            <div class="grid-sidebar grid-sidebar--right">
                <section class="card" aria-labelledby="queue-h">
                    <div class="toolbar">
                        <h2 id="queue-h">Requests</h2>
                        <label class="inline-field">
                            Status
                            <select value={status ?? ""} onChange={(e) => setQuery({ status: e.currentTarget.value || undefined, page: undefined })}>
                                <option value="">All</option>
                                {Object.entries(REQUEST_STATUSES).map(([k, v]) => (
                                    <option key={k} value={k}>
                                        {v}
                                    </option>
                                ))}
                            </select>
                        </label>
                    </div>
                    <LoadState state={list} label="Loading requests…">
                        {(d) =>
                            d.requests.length === 0 ? (
                                <Empty title="Nothing in this queue." />
                            ) : (
                                <>
                                    <ul class="list">
                                        {d.requests.map((r) => (
                                            <li key={r.id} class="list__row list__row--top" data-request={r.poseName}>
                                                <div class="list__main">
                                                    <strong>{r.poseName}</strong>
                                                    <span class="small">{r.description}</span>
                                                    <span class="small muted">
                                                        {r.user?.name || r.user?.email || r.userId} · {formatDate(r.createdAt)} · {r.votesCount} votes
                                                    </span>
                                                    {r.adminNotes && <span class="small">Notes: {r.adminNotes}</span>}
                                                </div>
                                                <Badge value={r.status} label={isKey(REQUEST_STATUSES, r.status) ? REQUEST_STATUSES[r.status] : r.status} />
                                                <button type="button" class="btn btn--small" onClick={() => setOpen(r)} aria-label={`Review ${r.poseName}`}>
                                                    Review
                                                </button>
                                            </li>
                                        ))}
                                    </ul>
                                    <Pagination
                                        page={d.pagination.page}
                                        totalPages={d.pagination.totalPages}
                                        total={d.pagination.total}
                                        label="Queue pages"
                                        hrefFor={(p) => `/admin/requests?${new URLSearchParams({ ...(status ? { status } : {}), page: String(p) })}`}
                                    />
                                </>
                            )
                        }
                    </LoadState>
                </section>
                <section class="card" aria-labelledby="popular-h">
                    <h2 id="popular-h">Most wanted</h2>
                    <LoadState state={popular} label="Loading…">
                        {(d) =>
                            d.requests.length === 0 ? (
                                <p class="muted">No open requests.</p>
                            ) : (
                                <ol class="popular">
                                    {d.requests.map((r) => (
                                        <li key={r.id}>
                                            <button type="button" class="link-button" onClick={() => setOpen(r)}>
                                                {r.poseName}
                                            </button>{" "}
                                            <span class="muted small">▲ {r.votesCount}</span>
                                        </li>
                                    ))}
                                </ol>
                            )
                        }
                    </LoadState>
                </section>
            </div>
            <Dialog open={open !== null} title={open ? `Review “${open.poseName}”` : ""} onClose={() => setOpen(null)} wide>
                {open && (
                    <ReviewForm
                        key={open.id}
                        request={open}
                        onDone={() => {
                            setOpen(null);
                            reloadAll();
                        }}
                    />
                )}
            </Dialog>
        </>
    );
}

type Transition = "approve" | "reject" | "mark-in-progress" | "mark-completed" | "notes";

function ReviewForm({ request: r, onDone }: { request: PoseRequestWithUser; onDone: () => void }) {
    const [notes, setNotes] = useState(r.adminNotes ?? "");
    const [search, setSearch] = useState(r.poseName);
    const [poseId, setPoseId] = useState("");
    const action = useAction();
    const poses = useLoad(
        () =>
            r.status === "in_progress"
                ? run(api.GET("/api/apps/pose-generator/library", { params: { query: { limit: 8, ...(search.trim().length >= 2 ? { search } : {}) } } }))
                : Promise.resolve({ ok: true as const, data: { poses: [], pagination: { page: 1, limit: 8, total: 0, totalPages: 0, hasMore: false } }, response: new Response() }),
        [search, r.status],
    );
    const path = { params: { path: { id: r.id } } };
    const adminNotes = notes.trim() ? notes : null;

    async function act(t: Transition) {
        const result = await action.run(() => {
            switch (t) {
                case "approve":
                    return run(api.POST("/api/apps/pose-generator/admin/pose-requests/{id}/approve", { ...path, body: { adminNotes } }));
                case "reject":
                    return run(api.POST("/api/apps/pose-generator/admin/pose-requests/{id}/reject", { ...path, body: { adminNotes: notes } }));
                case "mark-in-progress":
                    return run(api.POST("/api/apps/pose-generator/admin/pose-requests/{id}/mark-in-progress", { ...path, body: { adminNotes } }));
                case "mark-completed":
                    return run(
                        api.POST("/api/apps/pose-generator/admin/pose-requests/{id}/mark-completed", { ...path, body: { completedPoseId: poseId, adminNotes } }),
                    );
                case "notes":
                    return run(api.PUT("/api/apps/pose-generator/admin/pose-requests/{id}/notes", { ...path, body: { adminNotes: notes } }));
            }
        });
        if (result) onDone();
    }

    return (
        <div class="stack">
            <p>{r.description}</p>
            <p class="small muted">
                From {r.user?.name || r.user?.email || r.userId} · {r.votesCount} votes · {r.category?.displayName ?? "no category"} · status{" "}
                <Badge value={r.status} />
            </p>
            <Field label="Notes for the requester" name="adminNotes" problem={action.problem} hint="Required to reject; up to 1000 characters.">
                {(p) => <textarea {...p} rows={3} maxLength={1000} value={notes} onInput={(e) => setNotes(e.currentTarget.value)} />}
            </Field>
            {r.status === "in_progress" && (
                <fieldset class="fieldset">
                    <legend>The library pose that fulfils it</legend>
                    <label class="filters__search">
                        <span class="sr-only">Search the library</span>
                        <input type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} placeholder="Search the library…" />
                    </label>
                    <LoadState state={poses} label="Searching…">
                        {(d) => (
                            <div class="avatar-picker" role="radiogroup" aria-label="Library pose">
                                {d.poses.map((p) => (
                                    <label key={p.id} class={poseId === p.id ? "avatar-picker__item avatar-picker__item--on" : "avatar-picker__item"}>
                                        <input type="radio" name="completedPoseId" checked={poseId === p.id} onChange={() => setPoseId(p.id)} />
                                        <Img src={p.thumbnailUrl} alt="" />
                                        <span>{p.name}</span>
                                    </label>
                                ))}
                            </div>
                        )}
                    </LoadState>
                    {action.problem?.fields.completedPoseId && <p class="field__error">{action.problem.fields.completedPoseId.join(" ")}</p>}
                </fieldset>
            )}
            <ProblemMessage problem={action.problem} fields={["adminNotes", "completedPoseId"]} />
            <div class="dialog__actions dialog__actions--wrap">
                <button type="button" class="btn" disabled={action.busy} onClick={() => void act("notes")}>
                    Save notes
                </button>
                {r.status === "pending" && (
                    <>
                        <button type="button" class="btn btn--danger-outline" disabled={action.busy} onClick={() => void act("reject")}>
                            Reject
                        </button>
                        <button type="button" class="btn btn--primary" disabled={action.busy} onClick={() => void act("approve")}>
                            Approve
                        </button>
                    </>
                )}
                {r.status === "approved" && (
                    <button type="button" class="btn btn--primary" disabled={action.busy} onClick={() => void act("mark-in-progress")}>
                        Mark in progress
                    </button>
                )}
                {r.status === "in_progress" && (
                    <button type="button" class="btn btn--primary" disabled={action.busy || !poseId} onClick={() => void act("mark-completed")}>
                        Mark completed
                    </button>
                )}
            </div>
        </div>
    );
}
