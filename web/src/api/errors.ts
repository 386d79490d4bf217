// Turns an API error answer (api.md §1.6) into a sentence for a person, plus the field errors
// of a 400 so that each can be shown next to its field.
import type { ErrorResponse } from "./types";

export interface Problem {
    status: number;
    code: string;
    /** A sentence to show next to the control or form that caused it. */
    message: string;
    /** VALIDATION_ERROR details: request field name -> messages. */
    fields: Record<string, string[]>;
    retryAfter?: number;
}

function rec(value: unknown): Record<string, unknown> {
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
}
function num(value: unknown): number | undefined {
    return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

const MiB = 1024 * 1024;

/** Field errors from `error.details`, keyed by the request field (array items folded into their field). */
function fieldErrors(details: Record<string, unknown>): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [key, value] of Object.entries(details)) {
        const messages = Array.isArray(value) ? value.filter((m): m is string => typeof m === "string") : [];
        if (messages.length === 0) continue;
        const field = key.replace(/\[\d+\]$/, "");
        (out[field] ??= []).push(...messages);
    }
    return out;
}

export function describeError(body: ErrorResponse | undefined, response: Response): Problem {
    const status = response.status;
    const info = body?.error;
    const code: string = info?.code ?? (status === 503 ? "SERVICE_UNAVAILABLE" : "HTTP_" + status);
    const serverMessage = info?.message ?? "";
    // `details` is a free-form object today and per-code shapes later (issue 15): read it
    // through runtime checks, which are right under either type.
    const details = rec(info?.details as unknown);
    const sentence = (text: string) => (/[.!?…]$/.test(text) ? text : `${text}.`);
    switch (code) {
        case "VALIDATION_ERROR": {
            const fields = fieldErrors(details);
            const n = Object.keys(fields).length;
            return {
                status,
                code,
                fields,
                message: n > 0 ? sentence(serverMessage || "Please check the highlighted fields") : sentence(serverMessage),
            };
        }
        case "INSUFFICIENT_CREDITS": {
            const required = num(details.required);
            const available = num(details.available);
            return {
                status,
                code,
                fields: {},
                message:
                    required !== undefined && available !== undefined
                        ? `Not enough credits: this costs ${required} credits and your balance is ${available}.`
                        : "Not enough credits for this action.",
            };
        }
        case "INSUFFICIENT_QUOTA": {
            const required = num(details.required);
            const remaining = num(details.remaining);
            return {
                status,
                code,
                fields: {},
                message: `Your daily pose quota is used up${required !== undefined && remaining !== undefined ? `: this needs ${required}, ${remaining} left today` : ""}.`,
            };
        }
        case "FORBIDDEN":
            return { status, code, fields: {}, message: "You need administrator rights for this." };
        case "PAYLOAD_TOO_LARGE": {
            const max = num(details.maxBytes);
            return {
                status,
                code,
                fields: {},
                message: `The file is too large${max !== undefined ? `: the limit is ${Math.round((max / MiB) * 10) / 10} MB` : ""}.`,
            };
        }
        case "UNSUPPORTED_MEDIA_TYPE": {
            const detected = typeof details.detected === "string" ? details.detected : undefined;
            return {
                status,
                code,
                fields: {},
                message: `This file type is not supported${detected ? ` (it is ${detected})` : ""}: use a JPEG, PNG or WebP image.`,
            };
        }
        case "RATE_LIMITED": {
            const header = Number(response.headers.get("Retry-After"));
            const retryAfter = Number.isFinite(header) && header > 0 ? header : (num(details.retryAfter) ?? 60);
            return {
                status,
                code,
                fields: {},
                retryAfter,
                message: `Too many requests: please wait ${retryAfter} s and try again.`,
            };
        }
        case "SERVICE_UNAVAILABLE":
        case "SCHEMA_NOT_READY":
            return { status, code, fields: {}, message: "The service is unavailable, retrying. Try again in a moment." };
        case "INTERNAL_ERROR":
            return {
                status,
                code,
                fields: {},
                message: `Something went wrong on our side${body?.requestId ? ` (request ${body.requestId})` : ""}. Please try again.`,
            };
        default:
            return { status, code, fields: {}, message: sentence(serverMessage || `The request failed (HTTP ${status})`) };
    }
}

export const networkProblem: Problem = {
    status: 0,
    code: "NETWORK",
    fields: {},
    message: "The server cannot be reached. Check your connection and try again.",
};

/** A problem the dashboard found itself (before sending anything). */
export function localProblem(message: string, fields: Record<string, string[]> = {}): Problem {
    return { status: 0, code: "CLIENT_CHECK", message, fields };
}
