import { useState } from "preact/hooks";
import { api, run } from "../../api/client";
import type { AvatarPreset, PresetCategory } from "../../api/types";
import { isKey } from "../../lib/format";
import { useLoad, useTitle } from "../../lib/hooks";
import { navigate, setQuery, useQuery } from "../../lib/router";
import { Dialog, Empty, Field, LoadState, PageHeader } from "../../ui/kit";
import { FromPresetForm, loadTracked, PresetGrid, saveTracked } from "./add";

const CATEGORIES = {
    professional: "Professional",
    casual: "Casual",
    sports: "Sports",
    fashion: "Fashion",
    traditional: "Traditional",
} satisfies Record<PresetCategory, string>;

export function PresetGallery() {
    useTitle("Preset gallery");
    const q = useQuery();
    const raw = q.get("category") ?? "";
    const category = isKey(CATEGORIES, raw) ? raw : undefined;
    const presets = useLoad(
        () => run(api.GET("/api/apps/avatar-creator/presets", { params: { query: category ? { category } : {} } })),
        [category],
    );
    const projects = useLoad(() => run(api.GET("/api/apps/avatar-creator/projects")), []);
    const stats = useLoad(() => run(api.GET("/api/apps/avatar-creator/stats")), []);
    const [preset, setPreset] = useState<AvatarPreset | null>(null);
    const [projectId, setProjectId] = useState("");
    const chosen = projectId || projects.data?.projects[0]?.id || "";

    return (
        <>
            <PageHeader title="Preset gallery" description="Ready-made characters with a persona and a look. Pick one to create an avatar from it." />
            <div class="chips" role="group" aria-label="Preset category">
                <button type="button" class="chip" aria-pressed={!category} onClick={() => setQuery({ category: undefined })}>
                    All
                </button>
                {Object.entries(CATEGORIES).map(([k, label]) => (
                    <button key={k} type="button" class="chip" aria-pressed={category === k} onClick={() => setQuery({ category: k })}>
                        {label}
                    </button>
                ))}
            </div>
            <h2 class="sr-only">Presets</h2>
            <LoadState state={presets} label="Loading presets…">
                {(d) => (d.presets.length === 0 ? <Empty title="No presets in this category." /> : <PresetGrid presets={d.presets} onUse={setPreset} />)}
            </LoadState>
            <Dialog open={preset !== null} title={`Avatar from “${preset?.name ?? ""}”`} onClose={() => setPreset(null)}>
                <LoadState state={projects} label="Loading your projects…">
                    {(d) =>
                        d.projects.length === 0 ? (
                            <Empty title="You need a project first">
                                <button type="button" class="btn btn--primary" onClick={() => navigate("/avatars")}>
                                    Create a project
                                </button>
                            </Empty>
                        ) : (
                            <>
                                <Field label="Add to project" name="projectId">
                                    {(p) => (
                                        <select {...p} value={chosen} onChange={(e) => setProjectId(e.currentTarget.value)}>
                                            {d.projects.map((pr) => (
                                                <option key={pr.id} value={pr.id}>
                                                    {pr.name}
                                                </option>
                                            ))}
                                        </select>
                                    )}
                                </Field>
                                {preset && stats.data && (
                                    <FromPresetForm
                                        key={`${preset.id}-${chosen}`}
                                        projectId={chosen}
                                        preset={preset}
                                        cost={stats.data.hasEnterpriseUnlimited ? 0 : stats.data.costs.fromPreset}
                                        onCancel={() => setPreset(null)}
                                        onStarted={(t) => {
                                            saveTracked(chosen, [t, ...loadTracked(chosen)]);
                                            navigate(`/avatars/projects/${chosen}`);
                                        }}
                                    />
                                )}
                            </>
                        )
                    }
                </LoadState>
            </Dialog>
        </>
    );
}
