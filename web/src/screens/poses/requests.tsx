import { useState } from "preact/hooks";
import { api, run } from "../../api/client";
import { profileStore } from "../../api/session";
import type { PoseRequestWithVote } from "../../api/types";
import { formatDate } from "../../lib/format";
import { useAction, useLoad, useTitle } from "../../lib/hooks";
import { setQuery, useQuery } from "../../lib/router";
import { useStore } from "../../lib/store";
import { Badge, Empty, Field, LoadState, Notice, PageHeader, Pagination, ProblemMessage, Tabs } from "../../ui/kit";
import { REQUEST_STATUSES, isKey } from "./shared";

type Scope = "mine" | "all";

export function PoseRequests() {
    useTitle("Pose requests");
    const q = useQuery();
    const scope: Scope = q.get("scope") === "all" ? "all" : "mine";
    const page = Math.max(1, Number(q.get("page") ?? "1") || 1);
    const list = useLoad(() => run(api.GET("/api/apps/pose-generator/requests", { params: { query: { scope, page, limit: 20 } } })), [scope, page]);
    return (
        <>
            <PageHeader title="Pose requests" description="Missing a pose? Ask for it, and vote for what others asked for." />
            <div class="grid-sidebar">
                <RequestForm onCreated={() => (scope === "mine" ? list.reload() : setQuery({ scope: undefined, page: undefined }))} />
                <section class="card" aria-labelledby="list-h">
                    <h2 id="list-h" class="sr-only">
                        Requests
                    </h2>
                    <Tabs<Scope>
                        label="Which requests"
                        value={scope}
                        onChange={(k) => setQuery({ scope: k === "all" ? "all" : undefined, page: undefined })}
                        tabs={[
                            { key: "mine", label: "My requests" },
                            { key: "all", label: "Community requests" },
                        ]}
                    />
                    <div role="tabpanel" class="tabpanel" aria-label={scope === "mine" ? "My requests" : "Community requests"}>
                        <LoadState state={list} label="Loading requests…">
                            {(d) =>
                                d.requests.length === 0 ? (
                                    <Empty title={scope === "mine" ? "You have not asked for a pose yet." : "No requests yet."} />
                                ) : (
                                    <>
                                        <ul class="list">
                                            {d.requests.map((r) => (
                                                <RequestRow key={r.id} request={r} onVoted={list.reload} />
                                            ))}
                                        </ul>
                                        <Pagination
                                            page={d.pagination.page}
                                            totalPages={d.pagination.totalPages}
                                            total={d.pagination.total}
                                            label="Request pages"
                                            hrefFor={(p) => `/poses/requests?${new URLSearchParams({ ...(scope === "all" ? { scope } : {}), page: String(p) })}`}
                                        />
                                    </>
                                )
                            }
                        </LoadState>
                    </div>
                </section>
            </div>
        </>
    );
}

function RequestRow({ request: r, onVoted }: { request: PoseRequestWithVote; onVoted: () => void }) {
    const profile = useStore(profileStore);
    const action = useAction();
    const own = profile?.id === r.userId;
    const open = r.status === "pending" || r.status === "approved";
    async function vote() {
        const ok = await action.run(() => run(api.POST("/api/apps/pose-generator/requests/{id}/vote", { params: { path: { id: r.id } } })));
        if (ok) onVoted();
    }
    return (
        <li class="list__row list__row--top" data-request={r.poseName}>
            <div class="list__main">
                <strong>{r.poseName}</strong>
                <span class="small">{r.description}</span>
                <span class="small muted">
                    {formatDate(r.createdAt)}
                    {r.category ? ` · ${r.category.displayName}` : ""}
                    {r.useCase ? ` · ${r.useCase}` : ""}
                </span>
                {r.adminNotes && <span class="small">Team note: {r.adminNotes}</span>}
                {r.completedPose && <span class="small">Added as “{r.completedPose.name}”.</span>}
                <ProblemMessage problem={action.problem} />
            </div>
            <Badge value={r.status} label={isKey(REQUEST_STATUSES, r.status) ? REQUEST_STATUSES[r.status] : r.status} />
            <button
                type="button"
                class="btn btn--small vote"
                aria-pressed={r.hasVoted}
                disabled={own || r.hasVoted || !open || action.busy}
                title={own ? "You cannot vote for your own request" : !open ? "Voting is closed" : undefined}
                onClick={() => void vote()}
            >
                <span aria-hidden="true">▲</span> {r.votesCount}
                <span class="sr-only">
                    {r.votesCount === 1 ? " vote" : " votes"}; vote for {r.poseName}
                </span>
            </button>
        </li>
    );
}

function RequestForm({ onCreated }: { onCreated: () => void }) {
    const categories = useLoad(() => run(api.GET("/api/apps/pose-generator/categories")), []);
    const [poseName, setPoseName] = useState("");
    const [description, setDescription] = useState("");
    const [categoryId, setCategoryId] = useState("");
    const [useCase, setUseCase] = useState("");
    const [reference, setReference] = useState("");
    const [done, setDone] = useState<string | null>(null);
    const action = useAction();
    // A duplicate (409) is about the pose name: it is shown next to that field.
    const problem =
        action.problem?.code === "CONFLICT" ? { ...action.problem, fields: { poseName: [action.problem.message] } } : action.problem;
    async function submit(e: Event) {
        e.preventDefault();
        setDone(null);
        const r = await action.run(() =>
            run(
                api.POST("/api/apps/pose-generator/requests", {
                    body: {
                        poseName,
                        description,
                        categoryId: categoryId || null,
                        useCase: useCase.trim() || null,
                        referenceImageUrl: reference.trim() || null,
                    },
                }),
            ),
        );
        if (r) {
            setDone(r.message);
            setPoseName("");
            setDescription("");
            setUseCase("");
            setReference("");
            onCreated();
        }
    }
    return (
        <form class="card stack" onSubmit={submit} noValidate aria-labelledby="req-h">
            <h2 id="req-h">Ask for a pose</h2>
            <Field label="Pose name" name="poseName" problem={problem}>
                {(p) => <input {...p} required maxLength={100} value={poseName} onInput={(e) => setPoseName(e.currentTarget.value)} />}
            </Field>
            <Field label="Describe the pose" name="description" problem={problem}>
                {(p) => <textarea {...p} rows={3} required maxLength={500} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />}
            </Field>
            <Field label="Category" name="categoryId" problem={problem}>
                {(p) => (
                    <select {...p} value={categoryId} onChange={(e) => setCategoryId(e.currentTarget.value)}>
                        <option value="">No category</option>
                        {(categories.data?.categories ?? []).map((c) => (
                            <optgroup key={c.id} label={c.displayName}>
                                <option value={c.id}>{c.displayName} (any)</option>
                                {c.children.map((ch) => (
                                    <option key={ch.id} value={ch.id}>
                                        {ch.displayName}
                                    </option>
                                ))}
                            </optgroup>
                        ))}
                    </select>
                )}
            </Field>
            <Field label="Use case" name="useCase" problem={problem} hint="Optional, e.g. e-commerce, social, professional.">
                {(p) => <input {...p} maxLength={100} value={useCase} onInput={(e) => setUseCase(e.currentTarget.value)} />}
            </Field>
            <Field label="Reference image URL" name="referenceImageUrl" problem={problem} hint="Optional.">
                {(p) => <input {...p} type="url" value={reference} onInput={(e) => setReference(e.currentTarget.value)} />}
            </Field>
            <ProblemMessage problem={problem} fields={["poseName", "description", "categoryId", "useCase", "referenceImageUrl"]} />
            {done && <Notice kind="success">{done}</Notice>}
            <div>
                <button type="submit" class="btn btn--primary" disabled={action.busy}>
                    {action.busy ? "Sending…" : "Send request"}
                </button>
            </div>
        </form>
    );
}
