// Every request and response type the dashboard uses, derived from the generated schema
// (src/api/schema.d.ts, from ../openapi.yaml). Nothing here is written by hand: these are
// names for `components["schemas"]` entries and for the bodies of `paths` operations.
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Paths = paths;

export type ErrorResponse = Schemas["ErrorResponse"];
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

// Closed sets. While openapi.yaml types them as `string`, these are `string`; once the spec
// makes them enums (issue 15) they become unions, and every `Record<X, label>` below that
// misses or misspells a value becomes a type error.
export type Gender = NonNullable<Avatar["gender"]>;
export type AgeRange = NonNullable<Avatar["ageRange"]>;
export type Difficulty = NonNullable<PoseLibraryItem["difficulty"]>;
export type GenderSuitability = NonNullable<PoseLibraryItem["genderSuitability"]>;
export type PoseGenerationStatus = NonNullable<PoseGeneration["status"]>;
export type AvatarGenerationStatus = NonNullable<AvatarGeneration["status"]>;
export type PoseRequestStatus = NonNullable<PoseRequestWithVote["status"]>;
export type AvatarSource = NonNullable<PoseGeneratorProject["avatarSource"]>;
export type BackgroundMode = NonNullable<ChangeBackgroundRequest["backgroundMode"]>;
export type PresetCategory = NonNullable<AvatarPreset["category"]>;
