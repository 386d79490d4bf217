// The avatar upload over XMLHttpRequest, for its upload progress events (fetch has none),
// typed with the generated multipart form and 201 answer. Same session handling as the client.
import { hooks, type Result } from "./client";
import { describeError, networkProblem } from "./errors";
import { UPLOAD_PATH, type ErrorResponse, type UploadForm, type UploadResponse } from "./types";

function headersOf(xhr: XMLHttpRequest): Headers {
    const h = new Headers();
    for (const line of xhr.getAllResponseHeaders().trim().split(/[\r\n]+/)) {
        const i = line.indexOf(":");
        if (i > 0) h.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
    }
    return h;
}

function parse(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return undefined;
    }
}

export function uploadAvatar(
    projectId: string,
    form: UploadForm,
    fileName: string,
    onProgress: (fraction: number) => void,
): Promise<Result<UploadResponse>> {
    const body = new FormData();
    for (const [key, value] of Object.entries(form)) {
        if (value instanceof Blob) body.append(key, value, fileName);
        else if (typeof value === "string" || typeof value === "number") body.append(key, String(value)); // text on the wire
    }
    return new Promise((resolve) => {
        const xhr = new XMLHttpRequest();
        xhr.open("POST", UPLOAD_PATH.replace("{projectId}", encodeURIComponent(projectId)));
        const token = hooks.token();
        if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
        xhr.upload.onprogress = (e) => {
            if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
        };
        xhr.onerror = () => resolve({ ok: false, problem: networkProblem });
        xhr.onload = () => {
            const response = new Response(null, { status: xhr.status, headers: headersOf(xhr) });
            const json = parse(xhr.responseText);
            if (xhr.status === 201 && json !== undefined) {
                onProgress(1);
                hooks.refreshBalance();
                resolve({ ok: true, data: json as UploadResponse, response });
                return;
            }
            if (xhr.status === 401) hooks.sessionEnded();
            resolve({ ok: false, problem: describeError(json as ErrorResponse | undefined, response) });
        };
        xhr.send(body);
    });
}
