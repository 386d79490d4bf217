// The persona and visual attribute fields shared by upload, generate and the avatar page
// (api.md §6.0), with the persona examples to start from.
import type { AgeRange, Avatar, Gender, GenerateAvatarRequest, PersonaExample, UpdateAvatarRequest, UploadForm } from "../../api/types";
import type { Problem } from "../../api/errors";
import { isKey, parseObject, parseStringArray } from "../../lib/format";
import { Field } from "../../ui/kit";

/** The persona and attribute request fields; a renamed field in openapi.yaml fails here. */
export const TEXT_ATTRIBUTES = [
    "ethnicity",
    "bodyType",
    "hairStyle",
    "hairColor",
    "eyeColor",
    "skinTone",
    "style",
] as const satisfies readonly (keyof GenerateAvatarRequest & keyof UpdateAvatarRequest & keyof UploadForm & keyof Avatar)[];
export const PERSONA_FIELDS = [
    "personaName",
    "personaAge",
    "personaPersonality",
    "personaBackground",
    "gender",
    "ageRange",
    ...TEXT_ATTRIBUTES,
] as const satisfies readonly (keyof GenerateAvatarRequest & keyof UpdateAvatarRequest & keyof UploadForm & keyof Avatar)[];

type PersonaField = (typeof PERSONA_FIELDS)[number];
/** What the person typed, per field (text inputs hold text). */
export type PersonaValues = Record<PersonaField, string>;

export const GENDERS = { female: "Female", male: "Male", unisex: "Unisex" } satisfies Record<Gender, string>;
export const AGE_RANGES = { young: "Young", adult: "Adult", mature: "Mature" } satisfies Record<AgeRange, string>;
const ATTRIBUTE_LABELS = {
    ethnicity: "Ethnicity",
    bodyType: "Body type",
    hairStyle: "Hair style",
    hairColor: "Hair colour",
    eyeColor: "Eye colour",
    skinTone: "Skin tone",
    style: "Style",
} satisfies Record<(typeof TEXT_ATTRIBUTES)[number], string>;

export function emptyPersona(): PersonaValues {
    return Object.fromEntries(PERSONA_FIELDS.map((f) => [f, ""])) as PersonaValues;
}

export function personaFromAvatar(a: Avatar): PersonaValues {
    const v = emptyPersona();
    for (const f of PERSONA_FIELDS) {
        const raw = a[f];
        v[f] = raw === null || raw === undefined ? "" : String(raw);
    }
    v.personaPersonality = parseStringArray(a.personaPersonality).join(", ");
    return v;
}

export function personaFromExample(e: PersonaExample): PersonaValues {
    const v = emptyPersona();
    v.personaName = e.personaName;
    v.personaAge = String(e.personaAge);
    v.personaPersonality = parseStringArray(e.personaPersonality).join(", ");
    v.personaBackground = e.personaBackground;
    const attrs = parseObject(e.suggestedAttributes);
    for (const f of ["gender", "ageRange", ...TEXT_ATTRIBUTES] as const) {
        const a = attrs[f];
        if (typeof a === "string") v[f] = a;
    }
    return v;
}

function traits(text: string): string[] {
    return text
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean);
}

/** The text fields (free text in the API too); gender and ageRange are enums, read apart. */
const FREE_TEXT = ["personaName", "personaBackground", ...TEXT_ATTRIBUTES] as const;
/** The enum values chosen (the selects only offer the spec's values; anything else is "not set"). */
function enums(v: PersonaValues): { gender: Gender | undefined; ageRange: AgeRange | undefined } {
    return {
        gender: isKey(GENDERS, v.gender) ? v.gender : undefined,
        ageRange: isKey(AGE_RANGES, v.ageRange) ? v.ageRange : undefined,
    };
}

/** JSON fields for generate: empty fields are left out. */
export function personaJson(v: PersonaValues): Partial<GenerateAvatarRequest> {
    const out: Partial<GenerateAvatarRequest> = {};
    for (const f of FREE_TEXT) {
        if (v[f].trim()) out[f] = v[f];
    }
    const { gender, ageRange } = enums(v);
    if (gender) out.gender = gender;
    if (ageRange) out.ageRange = ageRange;
    if (v.personaAge.trim()) out.personaAge = Number(v.personaAge);
    const t = traits(v.personaPersonality);
    if (t.length) out.personaPersonality = t;
    return out;
}

/** Fields for the avatar update: every field sent, empty ones as null (clears them). */
export function personaUpdate(v: PersonaValues): UpdateAvatarRequest {
    const out: UpdateAvatarRequest = {};
    for (const f of FREE_TEXT) {
        out[f] = v[f].trim() ? v[f] : null;
    }
    const { gender, ageRange } = enums(v);
    out.gender = gender ?? null;
    out.ageRange = ageRange ?? null;
    out.personaAge = v.personaAge.trim() ? Number(v.personaAge) : null;
    const t = traits(v.personaPersonality);
    out.personaPersonality = t.length ? t : null;
    return out;
}

/** Multipart parts for the upload (api.md §6.6): personality as a JSON array text, the age an integer. */
export function personaForm(v: PersonaValues): Partial<UploadForm> {
    const out: Partial<UploadForm> = {};
    for (const f of FREE_TEXT) {
        if (v[f].trim()) out[f] = v[f];
    }
    const { gender, ageRange } = enums(v);
    if (gender) out.gender = gender;
    if (ageRange) out.ageRange = ageRange;
    if (v.personaAge.trim()) out.personaAge = Number(v.personaAge);
    const t = traits(v.personaPersonality);
    if (t.length) out.personaPersonality = JSON.stringify(t);
    return out;
}

export function PersonaFields({
    values,
    onChange,
    problem,
    examples,
    collapsed,
}: {
    values: PersonaValues;
    onChange: (v: PersonaValues) => void;
    problem: Problem | undefined;
    examples?: PersonaExample[] | undefined;
    /** Start folded (the upload form): opens by itself when one of its fields has an error. */
    collapsed?: boolean;
}) {
    const set = (f: PersonaField) => (e: Event) => onChange({ ...values, [f]: (e.currentTarget as HTMLInputElement).value });
    const attributeError = ["gender", "ageRange", ...TEXT_ATTRIBUTES].some((f) => problem?.fields[f]);
    const anyError = PERSONA_FIELDS.some((f) => problem?.fields[f]);
    if (collapsed)
        return (
            <details class="details fieldset" open={anyError || undefined}>
                <summary>Persona and attributes (optional)</summary>
                <PersonaFields values={values} onChange={onChange} problem={problem} examples={examples} />
            </details>
        );
    return (
        <fieldset class="fieldset">
            <legend>Persona</legend>
            {examples && examples.length > 0 && (
                <Field label="Start from an example" name="example" hint="Fills in the persona and attributes below; you can change everything.">
                    {(p) => (
                        <select
                            {...p}
                            value=""
                            onChange={(e) => {
                                const ex = examples.find((x) => x.id === e.currentTarget.value);
                                if (ex) onChange(personaFromExample(ex));
                            }}
                        >
                            <option value="">Choose a persona example…</option>
                            {examples.map((ex) => (
                                <option key={ex.id} value={ex.id}>
                                    {ex.name} ({ex.category}) — {ex.personaName}, {ex.personaAge}
                                </option>
                            ))}
                        </select>
                    )}
                </Field>
            )}
            <div class="grid-2 grid-2--tight">
                <Field label="Persona name" name="personaName" problem={problem}>
                    {(p) => <input {...p} maxLength={100} value={values.personaName} onInput={set("personaName")} />}
                </Field>
                <Field label="Age" name="personaAge" problem={problem}>
                    {(p) => <input {...p} type="number" min={1} max={120} inputMode="numeric" value={values.personaAge} onInput={set("personaAge")} />}
                </Field>
            </div>
            <Field label="Personality traits" name="personaPersonality" problem={problem} hint="Comma-separated, up to 10, e.g. confident, warm, curious.">
                {(p) => <input {...p} value={values.personaPersonality} onInput={set("personaPersonality")} />}
            </Field>
            <Field label="Background" name="personaBackground" problem={problem}>
                {(p) => <textarea {...p} rows={2} maxLength={500} value={values.personaBackground} onInput={set("personaBackground")} />}
            </Field>
            <details class="details" open={attributeError || undefined}>
                <summary>Visual attributes</summary>
                <div class="grid-3">
                    <Field label="Gender" name="gender" problem={problem}>
                        {(p) => (
                            <select {...p} value={values.gender} onChange={set("gender")}>
                                <option value="">Not set</option>
                                {Object.entries(GENDERS).map(([k, label]) => (
                                    <option key={k} value={k}>
                                        {label}
                                    </option>
                                ))}
                            </select>
                        )}
                    </Field>
                    <Field label="Age range" name="ageRange" problem={problem}>
                        {(p) => (
                            <select {...p} value={values.ageRange} onChange={set("ageRange")}>
                                <option value="">Not set</option>
                                {Object.entries(AGE_RANGES).map(([k, label]) => (
                                    <option key={k} value={k}>
                                        {label}
                                    </option>
                                ))}
                            </select>
                        )}
                    </Field>
                    {TEXT_ATTRIBUTES.map((f) => (
                        <Field key={f} label={ATTRIBUTE_LABELS[f]} name={f} problem={problem}>
                            {(p) => <input {...p} maxLength={50} value={values[f]} onInput={set(f)} />}
                        </Field>
                    ))}
                </div>
            </details>
        </fieldset>
    );
}
