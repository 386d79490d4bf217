// Every request and response type the dashboard uses, derived from the generated schema
// (src/api/schema.d.ts, from ../openapi.yaml). Nothing here is written by hand: these are
// names for `components["schemas"]` entries and for the bodies of `paths` operations.
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Paths = paths;

export type ErrorResponse = Schemas["ErrorResponse"];
/** `error` of every error body: a union told apart by `code`, each variant with its typed `details`. */
export type ErrorInfo = Schemas["ErrorInfo"];
/** One event of a pose generation's progress stream (the JSON of a `data:` line), told apart by `type`. */
export type GenerationEvent =
    paths["/api/apps/pose-generator/generations/{generationId}/events"]["get"]["responses"][200]["content"]["text/event-stream"];
export type PoseEventPose = Schemas["PoseEventPose"];
export type PoseCosts = Schemas["PoseCosts"];
export type Profile = Schemas["Profile"];
export type CreditEntry = Schemas["CreditEntry"];
export type AvatarProject = Schemas["AvatarProject"];
export type AvatarProjectWithAvatars = Schemas["AvatarProjectWithAvatars"];
export type Avatar = Schemas["Avatar"];
export type AvatarWithProject = Schemas["AvatarWithProject"];
export type AvatarGeneration = Schemas["AvatarGeneration"];
export type AvatarPreset = Schemas["AvatarPreset"];
export type PersonaExample = Schemas["PersonaExample"];
export type AvatarStats = Schemas["StatsResponse"];
export type UpdateAvatarRequest = Schemas["UpdateAvatarRequest"];
export type GenerateAvatarRequest = Schemas["GenerateAvatarRequest"];
export type PoseLibraryItem = Schemas["PoseLibraryItem"];
export type PoseCategory = Schemas["PoseCategoryTree"];
export type PoseCategoryChild = Schemas["PoseCategoryChild"];
export type PoseGeneratorProject = Schemas["PoseGeneratorProject"];
export type PoseGeneration = Schemas["PoseGeneration"];
export type PoseGenerationDetail = Schemas["PoseGenerationDetail"];
export type GeneratedPose = Schemas["GeneratedPose"];
export type PoseGenerateRequest = Schemas["PoseGenerateRequest"];
export type ChangeBackgroundRequest = Schemas["ChangeBackgroundRequest"];
export type CreatePoseProjectRequest = Schemas["CreatePoseProjectRequest"];
export type PoseRequestWithVote = Schemas["PoseRequestWithVote"];
export type PoseRequestWithUser = Schemas["PoseRequestWithUser"];
export type Progress = Schemas["Progress"];
export type Pagination = Schemas["Pagination"];

/** The JSON body of one response of an operation. */
type JsonBody<R> = R extends { content: infer C } ? C[keyof C] : never;
export type ResponseBody<
    P extends keyof paths,
    M extends keyof paths[P],
    Status extends number,
> = paths[P][M] extends { responses: infer R } ? (Status extends keyof R ? JsonBody<R[Status]> : never) : never;

/** The multipart form of the avatar upload, and its 201 answer. */
export const UPLOAD_PATH = "/api/apps/avatar-creator/projects/{projectId}/avatars/upload";
export type UploadPath = typeof UPLOAD_PATH;
export type UploadForm = NonNullable<paths[UploadPath]["post"]["requestBody"]>["content"]["multipart/form-data"];
export type UploadResponse = ResponseBody<UploadPath, "post", 201>;

/** Query parameters of an operation (the library filters, say). */
export type QueryOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
    parameters: { query?: infer Q };
}
    ? NonNullable<Q>
    : never;
export type LibraryQuery = QueryOf<"/api/apps/pose-generator/library", "get">;

// Closed sets: the spec's enums (issue 15). Every `Record<X, label>` that misses or misspells a
// value is a type error.
export type Gender = Schemas["Gender"];
export type AgeRange = Schemas["AgeRange"];
export type Difficulty = Schemas["Difficulty"];
export type GenderSuitability = Schemas["Gender"];
export type PoseGenerationStatus = Schemas["PoseGenerationStatus"];
export type AvatarGenerationStatus = Schemas["AvatarGenerationStatus"];
export type PoseRequestStatus = Schemas["PoseRequestStatus"];
export type AvatarSource = Schemas["AvatarSource"];
export type PoseProjectStatus = Schemas["PoseProjectStatus"];
export type BackgroundMode = Schemas["BackgroundMode"];
export type PresetCategory = Schemas["PresetCategory"];
export type PersonaCategory = Schemas["PersonaCategory"];
export type GenerationType = Schemas["GenerationType"];
export type CreditType = Schemas["CreditType"];
export type Role = Schemas["Role"];
