// Turns an API error answer (api.md §1.6) into a sentence for a person, plus the field errors
// of a 400 so that each can be shown next to its field.
import type { ErrorInfo, ErrorResponse } from "./types";

export interface Problem {
    status: number;
    /** The API's `error.code`, or what the dashboard itself saw (no answer, a check before sending, a proxy). */
    code: ErrorInfo["code"] | "NETWORK" | "CLIENT_CHECK" | `HTTP_${number}`;
    /** A sentence to show next to the control or form that caused it. */
    message: string;
    /** VALIDATION_ERROR details: request field name -> messages. */
    fields: Record<string, string[]>;
    retryAfter?: number;
}

const MiB = 1024 * 1024;

/** Field errors from a VALIDATION_ERROR's `details`, keyed by the request field (array items folded into their field). */
function fieldErrors(details: Record<string, string[]>): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [key, messages] of Object.entries(details)) {
        if (messages.length === 0) continue;
        const field = key.replace(/\[\d+\]$/, "");
        (out[field] ??= []).push(...messages);
    }
    return out;
}

const sentence = (text: string) => (/[.!?…]$/.test(text) ? text : `${text}.`);

/**
 * `body` is the typed error answer (`ErrorResponse`, whose `error` is the `ErrorInfo` union told
 * apart by `code`), or undefined when the answer was not the API's JSON (a proxy's 502, say).
 * Narrowing by `code` types each variant's `details` (api.md §1.6): no runtime shape checks.
 */
export function describeError(body: ErrorResponse | undefined, response: Response): Problem {
    const status = response.status;
    const info = body?.error;
    if (info === undefined) {
        const code = status === 503 ? "SERVICE_UNAVAILABLE" : (`HTTP_${status}` as const);
        return status === 502 || status === 503 || status === 504
            ? { status, code, fields: {}, message: "The service is unavailable, retrying. Try again in a moment." }
            : { status, code, fields: {}, message: `The request failed (HTTP ${status}).` };
    }
    const { code, message: serverMessage } = info;
    const base = { status, code, fields: {} };
    switch (info.code) {
        case "VALIDATION_ERROR": {
            const fields = fieldErrors(info.details);
            const n = Object.keys(fields).length;
            return { ...base, fields, message: sentence(n > 0 ? info.message || "Please check the highlighted fields" : info.message) };
        }
        case "INSUFFICIENT_CREDITS":
            return {
                ...base,
                message: `Not enough credits: this costs ${info.details.required} credits and your balance is ${info.details.available}.`,
            };
        case "INSUFFICIENT_QUOTA":
            return {
                ...base,
                message: `Your daily pose quota is used up: this needs ${info.details.required}, ${info.details.remaining} left today.`,
            };
        case "FORBIDDEN":
            return { ...base, message: "You need administrator rights for this." };
        case "PAYLOAD_TOO_LARGE":
            return {
                ...base,
                message: `The file is too large: the limit is ${Math.round((info.details.maxBytes / MiB) * 10) / 10} MB.`,
            };
        case "UNSUPPORTED_MEDIA_TYPE": {
            const detected = info.details?.detected;
            return {
                ...base,
                message: `This file type is not supported${detected ? ` (it is ${detected})` : ""}: use a JPEG, PNG or WebP image.`,
            };
        }
        case "RATE_LIMITED": {
            const header = Number(response.headers.get("Retry-After"));
            const retryAfter = Number.isFinite(header) && header > 0 ? header : info.details.retryAfter;
            return { ...base, retryAfter, message: `Too many requests: please wait ${retryAfter} s and try again.` };
        }
        case "SERVICE_UNAVAILABLE":
        case "SCHEMA_NOT_READY":
            return { ...base, message: "The service is unavailable, retrying. Try again in a moment." };
        case "INTERNAL_ERROR":
            return {
                ...base,
                message: `Something went wrong on our side${body?.requestId ? ` (request ${body.requestId})` : ""}. Please try again.`,
            };
        case "UNAUTHORIZED":
        case "NOT_FOUND":
        case "METHOD_NOT_ALLOWED":
        case "CONFLICT":
        case "REQUEST_TIMEOUT":
            return { ...base, message: sentence(info.message || `The request failed (HTTP ${status})`) };
        default: {
            // every code of the spec is handled above: a new one in openapi.yaml is a type error here
            const unhandled: never = info;
            void unhandled;
            return { ...base, message: sentence(serverMessage || `The request failed (HTTP ${status})`) };
        }
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
