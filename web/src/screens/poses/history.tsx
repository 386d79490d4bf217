import { api, run } from "../../api/client";
import type { PoseProjectStatus } from "../../api/types";
import { useLoad, useTitle } from "../../lib/hooks";
import { setQuery, useQuery } from "../../lib/router";
import { Empty, LoadState, PageHeader, Pagination } from "../../ui/kit";
import { GenerationList } from "./project";
import { GENERATION_STATUSES, isKey } from "./shared";

export function GenerationHistory() {
    useTitle("Generations");
    const q = useQuery();
    const page = Math.max(1, Number(q.get("page") ?? "1") || 1);
    const raw = q.get("status");
    const status = isKey(GENERATION_STATUSES, raw) ? raw : undefined;
    // The project of each row (active and archived ones): the list items carry only its id.
    const projects = useLoad(async () => {
        const statuses: PoseProjectStatus[] = ["active", "archived"];
        const results = await Promise.all(
            statuses.map((s) => run(api.GET("/api/apps/pose-generator/projects", { params: { query: { limit: 100, status: s } } }))),
        );
        const names = new Map<string, string>();
        for (const r of results) if (r.ok) for (const p of r.data.projects) names.set(p.id, p.projectName);
        return { ok: true as const, data: names, response: new Response() };
    }, []);
    const list = useLoad(
        () => run(api.GET("/api/apps/pose-generator/generations", { params: { query: { page, limit: 20, ...(status ? { status } : {}) } } })),
        [page, status],
    );
    return (
        <>
            <PageHeader title="Generations" description="Every pose generation, with what it produced and what was refunded." />
            <div class="chips" role="group" aria-label="Filter by status">
                <button type="button" class="chip" aria-pressed={!status} onClick={() => setQuery({ status: undefined, page: undefined })}>
                    All
                </button>
                {Object.entries(GENERATION_STATUSES).map(([k, label]) => (
                    <button key={k} type="button" class="chip" aria-pressed={status === k} onClick={() => setQuery({ status: k, page: undefined })}>
                        {label}
                    </button>
                ))}
            </div>
            <section class="card">
                <LoadState state={list} label="Loading generations…">
                    {(d) =>
                        d.generations.length === 0 ? (
                            <Empty title="No generations here yet." />
                        ) : (
                            <>
                                <GenerationList generations={d.generations} projectNames={projects.data} />
                                <Pagination
                                    page={d.pagination.page}
                                    totalPages={d.pagination.totalPages}
                                    total={d.pagination.total}
                                    label="Generation pages"
                                    hrefFor={(p) => `/poses/generations?${new URLSearchParams({ ...(status ? { status } : {}), page: String(p) })}`}
                                />
                            </>
                        )
                    }
                </LoadState>
            </section>
        </>
    );
}
