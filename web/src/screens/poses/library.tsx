import { useEffect, useState } from "preact/hooks";
import { api, run } from "../../api/client";
import type { LibraryQuery, PoseCategory, PoseLibraryItem } from "../../api/types";
import { useLoad, useTitle } from "../../lib/hooks";
import { Link, setQuery, useQuery } from "../../lib/router";
import { useStore } from "../../lib/store";
import { Badge, Empty, Img, LoadState, PageHeader, Pagination, cx } from "../../ui/kit";
import { DIFFICULTIES, GENDER_SUITABILITY, isKey, selectionStore, toggleSelected } from "./shared";

const PAGE_SIZE = 24;

export function PoseLibrary() {
    useTitle("Pose library");
    const q = useQuery();
    const category = q.get("category") ?? "";
    const search = q.get("search") ?? "";
    const difficultyRaw = q.get("difficulty");
    const difficulty = isKey(DIFFICULTIES, difficultyRaw) ? difficultyRaw : undefined;
    const genderRaw = q.get("gender");
    const gender = isKey(GENDER_SUITABILITY, genderRaw) ? genderRaw : undefined;
    const featured = q.get("featured") === "true";
    const page = Math.max(1, Number(q.get("page") ?? "1") || 1);

    const query: LibraryQuery = { page, limit: PAGE_SIZE };
    if (category) query.category = category;
    if (search.trim().length >= 2) query.search = search.trim();
    if (difficulty) query.difficulty = difficulty;
    if (gender) query.genderSuitability = gender;
    if (featured) query.featured = true;
    const key = JSON.stringify(query);
    const poses = useLoad(() => run(api.GET("/api/apps/pose-generator/library", { params: { query } })), [key]);
    const categories = useLoad(() => run(api.GET("/api/apps/pose-generator/categories")), []);
    const selection = useStore(selectionStore);

    const [term, setTerm] = useState(search);
    useEffect(() => setTerm(search), [search]);
    // Search as you type (the URL is replaced, not pushed, so Back skips the keystrokes).
    useEffect(() => {
        if (term === search) return undefined;
        const t = setTimeout(() => setQuery({ search: term.trim() ? term : undefined, page: undefined }, true), 350);
        return () => clearTimeout(t);
    }, [term]);

    const hrefFor = (p: number) => {
        const params = new URLSearchParams(q);
        if (p > 1) params.set("page", String(p));
        else params.delete("page");
        return `/poses?${params.toString()}`;
    };
    const filtered = Boolean(category || search || difficulty || gender || featured);

    return (
        <>
            <PageHeader title="Pose library" description="Choose poses for your avatar. Select several, then generate them all at once." />
            <div class="library">
                <nav class="library__tree card" aria-label="Pose categories">
                    <h2 class="small-heading">Categories</h2>
                    <LoadState state={categories} label="Loading categories…">
                        {(d) => <CategoryTree tree={d.categories} current={category} />}
                    </LoadState>
                </nav>
                <div class="library__main">
                    <form
                        class="filters"
                        role="search"
                        onSubmit={(e) => {
                            e.preventDefault();
                            setQuery({ search: term.trim() ? term : undefined, page: undefined });
                        }}
                    >
                        <label class="filters__search">
                            <span class="sr-only">Search poses</span>
                            <input type="search" placeholder="Search by name or tag…" value={term} onInput={(e) => setTerm(e.currentTarget.value)} />
                        </label>
                        <label class="inline-field">
                            Difficulty
                            <select value={difficulty ?? ""} onChange={(e) => setQuery({ difficulty: e.currentTarget.value || undefined, page: undefined })}>
                                <option value="">Any</option>
                                {Object.entries(DIFFICULTIES).map(([k, v]) => (
                                    <option key={k} value={k}>
                                        {v}
                                    </option>
                                ))}
                            </select>
                        </label>
                        <label class="inline-field">
                            Suits
                            <select value={gender ?? ""} onChange={(e) => setQuery({ gender: e.currentTarget.value || undefined, page: undefined })}>
                                <option value="">Anyone</option>
                                {Object.entries(GENDER_SUITABILITY).map(([k, v]) => (
                                    <option key={k} value={k}>
                                        {v}
                                    </option>
                                ))}
                            </select>
                        </label>
                        <label class="inline-field checkbox">
                            <input type="checkbox" checked={featured} onChange={(e) => setQuery({ featured: e.currentTarget.checked, page: undefined })} />
                            Featured only
                        </label>
                        {filtered && (
                            <Link class="btn btn--ghost btn--small" href="/poses">
                                Clear filters
                            </Link>
                        )}
                    </form>
                    <LoadState state={poses} label="Loading poses…">
                        {(d) =>
                            d.poses.length === 0 ? (
                                <Empty title="No poses match these filters.">
                                    <Link href="/poses">Show all poses</Link>
                                </Empty>
                            ) : (
                                <>
                                    <p class="muted small" aria-live="polite">
                                        {d.pagination.total} poses{poses.loading ? " · updating…" : ""}
                                    </p>
                                    <ul class="pose-grid" aria-label="Poses">
                                        {d.poses.map((p) => (
                                            <li key={p.id}>
                                                <PoseCard pose={p} selected={selection.some((s) => s.id === p.id)} />
                                            </li>
                                        ))}
                                    </ul>
                                    <Pagination
                                        page={d.pagination.page}
                                        totalPages={d.pagination.totalPages}
                                        total={d.pagination.total}
                                        hrefFor={hrefFor}
                                        label="Library pages"
                                    />
                                </>
                            )
                        }
                    </LoadState>
                </div>
            </div>
            <SelectionTray />
        </>
    );
}

function CategoryTree({ tree, current }: { tree: PoseCategory[]; current: string }) {
    const total = tree.reduce((n, c) => n + c.poseCount, 0);
    const href = (slug?: string) => {
        const params = new URLSearchParams(window.location.search);
        params.delete("page");
        if (slug) params.set("category", slug);
        else params.delete("category");
        const qs = params.toString();
        return `/poses${qs ? `?${qs}` : ""}`;
    };
    return (
        <ul class="tree">
            <li>
                <Link class={cx("tree__link", !current && "tree__link--active")} href={href()} aria-current={!current ? "true" : undefined}>
                    All poses <span class="count">{total}</span>
                </Link>
            </li>
            {tree.map((root) => (
                <li key={root.id}>
                    <Link
                        class={cx("tree__link tree__root", current === root.slug && "tree__link--active")}
                        href={href(root.slug)}
                        aria-current={current === root.slug ? "true" : undefined}
                    >
                        <span class="dot" style={{ background: root.color }} aria-hidden="true" />
                        {root.displayName} <span class="count">{root.poseCount}</span>
                    </Link>
                    {root.children.length > 0 && (
                        <ul>
                            {root.children.map((c) => (
                                <li key={c.id}>
                                    <Link
                                        class={cx("tree__link", current === c.slug && "tree__link--active")}
                                        href={href(c.slug)}
                                        aria-current={current === c.slug ? "true" : undefined}
                                    >
                                        {c.displayName} <span class="count">{c.poseCount}</span>
                                    </Link>
                                </li>
                            ))}
                        </ul>
                    )}
                </li>
            ))}
        </ul>
    );
}

function PoseCard({ pose, selected }: { pose: PoseLibraryItem; selected: boolean }) {
    return (
        <div class={cx("pose-card", selected && "pose-card--selected")}>
            <Link href={`/poses/library/${pose.id}`} class="pose-card__link">
                {/* The grid shows thumbnails (400×400), never the full preview. */}
                <Img src={pose.thumbnailUrl ?? pose.previewImageUrl} alt="" width={400} height={400} />
                <span class="pose-card__name">{pose.name}</span>
            </Link>
            <div class="pose-card__meta">
                <Badge value={pose.difficulty === "beginner" ? "completed" : pose.difficulty === "advanced" ? "failed" : "processing"} label={pose.difficulty} />
                {pose.isFeatured && <Badge value="approved" label="featured" />}
                <label class="pose-card__select">
                    <input type="checkbox" checked={selected} onChange={() => toggleSelected(pose)} />
                    <span class="sr-only">Select {pose.name}</span>
                    <span aria-hidden="true">{selected ? "Selected" : "Select"}</span>
                </label>
            </div>
        </div>
    );
}

export function SelectionTray() {
    const selection = useStore(selectionStore);
    if (selection.length === 0) return null;
    return (
        <div class="tray" role="region" aria-label="Selected poses">
            <div class="tray__thumbs" aria-hidden="true">
                {selection.slice(0, 5).map((s) => (
                    <Img key={s.id} src={s.thumbnailUrl ?? s.previewImageUrl} alt="" />
                ))}
            </div>
            <p>
                <strong>{selection.length}</strong> {selection.length === 1 ? "pose" : "poses"} selected
            </p>
            <button type="button" class="btn btn--ghost" onClick={() => selectionStore.set([])}>
                Clear
            </button>
            <Link class="btn btn--primary" href="/poses/generate">
                Continue to generate →
            </Link>
        </div>
    );
}
