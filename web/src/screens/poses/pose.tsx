import { api, run } from "../../api/client";
import { useLoad, useTitle } from "../../lib/hooks";
import { Link } from "../../lib/router";
import { useStore } from "../../lib/store";
import { Badge, Img, LoadState, PageHeader } from "../../ui/kit";
import { SelectionTray } from "./library";
import { DIFFICULTIES, GENDER_SUITABILITY, isKey, selectionStore, toggleSelected } from "./shared";

export function LibraryPosePage({ id }: { id: string }) {
    const pose = useLoad(() => run(api.GET("/api/apps/pose-generator/library/{poseId}", { params: { path: { poseId: id } } })), [id]);
    const selection = useStore(selectionStore);
    useTitle(pose.data?.pose.name ?? "Pose");
    return (
        <LoadState state={pose} label="Loading the pose…">
            {({ pose: p }) => {
                const selected = selection.some((s) => s.id === p.id);
                return (
                    <>
                        <PageHeader
                            title={p.name}
                            back={{ href: `/poses?category=${encodeURIComponent(p.category.slug)}`, label: p.category.displayName }}
                            description={p.description ?? undefined}
                        >
                            <button type="button" class={selected ? "btn" : "btn btn--primary"} aria-pressed={selected} onClick={() => toggleSelected(p)}>
                                {selected ? "✓ Selected" : "Select this pose"}
                            </button>
                        </PageHeader>
                        <div class="pose-detail">
                            <figure class="card">
                                <Img src={p.previewImageUrl} alt={`${p.name}: preview`} width={1024} height={1024} />
                                <figcaption>Preview</figcaption>
                            </figure>
                            <figure class="card">
                                <Img src={p.controlnetImageUrl} alt={`${p.name}: pose map (the skeleton the generator follows)`} width={1024} height={1024} />
                                <figcaption>Pose map</figcaption>
                            </figure>
                            <section class="card" aria-labelledby="about-h">
                                <h2 id="about-h">About this pose</h2>
                                <dl class="facts">
                                    <dt>Category</dt>
                                    <dd>{p.category.displayName}</dd>
                                    <dt>Difficulty</dt>
                                    <dd>{isKey(DIFFICULTIES, p.difficulty) ? DIFFICULTIES[p.difficulty] : p.difficulty}</dd>
                                    <dt>Suits</dt>
                                    <dd>{isKey(GENDER_SUITABILITY, p.genderSuitability) ? GENDER_SUITABILITY[p.genderSuitability] : p.genderSuitability}</dd>
                                    <dt>Used</dt>
                                    <dd>{p.usageCount} times</dd>
                                </dl>
                                <ul class="chips" aria-label="Tags">
                                    {p.tags.map((t) => (
                                        <li key={t}>
                                            <Link class="chip" href={`/poses?search=${encodeURIComponent(t)}`}>
                                                #{t}
                                            </Link>
                                        </li>
                                    ))}
                                </ul>
                                <p>
                                    {p.isFeatured && <Badge value="approved" label="featured" />} {p.isPremium && <Badge value="partial" label="premium" />}
                                </p>
                            </section>
                        </div>
                        <SelectionTray />
                    </>
                );
            }}
        </LoadState>
    );
}
