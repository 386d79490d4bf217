// Shared by the Pose Generator screens: the pose selection (kept while browsing), labels of
// the closed sets (the spec's enums), and the prices (from the API).
import { api, run } from "../../api/client";
import type {
    BackgroundMode,
    Difficulty,
    GenderSuitability,
    PoseGenerateRequest,
    PoseGenerationStatus,
    PoseLibraryItem,
    PoseRequestStatus,
} from "../../api/types";
import { onSignOut } from "../../api/session";
import { useLoad } from "../../lib/hooks";
import { createStore } from "../../lib/store";

export const DIFFICULTIES = { beginner: "Beginner", intermediate: "Intermediate", advanced: "Advanced" } satisfies Record<Difficulty, string>;
export const GENDER_SUITABILITY = { female: "Female", male: "Male", unisex: "Unisex" } satisfies Record<GenderSuitability, string>;
export const GENERATION_STATUSES = {
    pending: "Queued",
    processing: "Generating",
    completed: "Completed",
    partial: "Partial",
    failed: "Failed",
} satisfies Record<PoseGenerationStatus, string>;
export const REQUEST_STATUSES = {
    pending: "Pending",
    approved: "Approved",
    in_progress: "In progress",
    completed: "Completed",
    rejected: "Rejected",
} satisfies Record<PoseRequestStatus, string>;
export const BACKGROUND_MODES = {
    ai_generate: "Describe a background",
    solid_color: "Solid colour",
    upload: "Image URL",
} satisfies Record<BackgroundMode, string>;

type ExportFormat = NonNullable<NonNullable<PoseGenerateRequest["exportFormats"]>[number]>;
/** api.md §8.11: the one list of export formats, with their sizes. */
export const EXPORT_FORMATS = {
    original: "Original (PNG)",
    instagram_feed: "Instagram feed 1080×1080",
    instagram_portrait: "Instagram portrait 1080×1350",
    instagram_story: "Instagram story 1080×1920",
    instagram_reel: "Instagram reel 1080×1920",
    tiktok: "TikTok 1080×1920",
    shopee_product: "Shopee product 1000×1000",
    tokopedia_product: "Tokopedia product 1200×1200",
    lazada_product: "Lazada product 1000×1000",
    facebook_post: "Facebook post 1200×630",
    twitter_post: "Twitter post 1200×675",
    linkedin_post: "LinkedIn post 1200×627",
    print_a4: "Print A4 2480×3508",
    print_4x6: "Print 4×6 1800×1200",
} satisfies Record<ExportFormat, string>;
export type ExportKey = keyof typeof EXPORT_FORMATS;

export { isKey } from "../../lib/format";

// ------------------------------------------------------------------ selection

export type SelectedPose = Pick<PoseLibraryItem, "id" | "name" | "thumbnailUrl" | "previewImageUrl">;
const KEY = "creator-studio.pose-selection";

function readSelection(): SelectedPose[] {
    try {
        const v: unknown = JSON.parse(sessionStorage.getItem(KEY) ?? "[]");
        return Array.isArray(v) ? (v as SelectedPose[]) : [];
    } catch {
        return [];
    }
}
export const selectionStore = createStore<SelectedPose[]>(readSelection());
selectionStore.subscribe(() => {
    try {
        sessionStorage.setItem(KEY, JSON.stringify(selectionStore.get()));
    } catch {
        /* in memory only */
    }
});
onSignOut(() => selectionStore.set([]));
export function toggleSelected(p: SelectedPose): void {
    const list = selectionStore.get();
    selectionStore.set(
        list.some((x) => x.id === p.id)
            ? list.filter((x) => x.id !== p.id)
            : [...list, { id: p.id, name: p.name, thumbnailUrl: p.thumbnailUrl, previewImageUrl: p.previewImageUrl }],
    );
}

// ------------------------------------------------------------------ prices

/** The Pose Generator prices in force, published by the API (`GET /stats` `costs`: `COST_POSE_*`). */
export function usePosePrices() {
    return useLoad(async () => {
        const r = await run(api.GET("/api/apps/pose-generator/stats"));
        return r.ok ? { ...r, data: r.data.costs } : r;
    }, []);
}
