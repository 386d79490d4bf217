const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

export function formatDateTime(iso: string | null | undefined): string {
    if (!iso) return "—";
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? iso : dateTime.format(d);
}
export function formatDate(iso: string | null | undefined): string {
    if (!iso) return "—";
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? iso : dateOnly.format(d);
}
export function plural(n: number, one: string, many = `${one}s`): string {
    return `${n} ${n === 1 ? one : many}`;
}
export function credits(n: number): string {
    return plural(n, "credit");
}
/** Parses a JSON-in-text field (api.md §1.5) holding an array of strings. */
export function parseStringArray(text: string | null | undefined): string[] {
    if (!text) return [];
    try {
        const v: unknown = JSON.parse(text);
        return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
    } catch {
        return [];
    }
}
/** Parses a JSON-in-text field holding an object. */
export function parseObject(text: string | null | undefined): Record<string, unknown> {
    if (!text) return {};
    try {
        const v: unknown = JSON.parse(text);
        return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
    } catch {
        return {};
    }
}
export function titleCase(s: string): string {
    return s.replace(/[_-]+/g, " ").replace(/^\w/, (c) => c.toUpperCase());
}
/** Whether `key` is one of the keys of `obj` (a label map of an enum): narrows a text value to the enum. */
export function isKey<T extends object>(obj: T, key: string | null | undefined): key is Extract<keyof T, string> {
    return typeof key === "string" && Object.prototype.hasOwnProperty.call(obj, key);
}
