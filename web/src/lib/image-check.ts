// The checks of api.md §8.13 that a browser can do before sending: size, real type from the
// first bytes, extension, dimensions. The server checks again; its answer is shown too.
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
export const MIN_SIDE = 256;
export const MAX_SIDE = 4096;
export const ACCEPT = "image/jpeg,image/png,image/webp,.jpg,.jpeg,.png,.webp";

type Kind = "JPEG" | "PNG" | "WebP";
const EXTENSIONS: Record<Kind, string[]> = { JPEG: ["jpg", "jpeg"], PNG: ["png"], WebP: ["webp"] };

function sniff(b: Uint8Array): Kind | null {
    if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "JPEG";
    const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
    if (png.every((v, i) => b[i] === v)) return "PNG";
    const ascii = (from: number, to: number) => String.fromCharCode(...b.slice(from, to));
    if (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "WebP";
    return null;
}

export interface ImageCheck {
    errors: string[];
    width?: number;
    height?: number;
    kind?: Kind;
}

export async function checkImage(file: File): Promise<ImageCheck> {
    if (file.size === 0) return { errors: ["The file is empty."] };
    if (file.size > MAX_UPLOAD_BYTES) {
        return { errors: [`The image is ${(file.size / 1048576).toFixed(1)} MB; the limit is 10 MB.`] };
    }
    const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
    const kind = sniff(head);
    if (!kind) return { errors: ["This is not a JPEG, PNG or WebP image."] };
    const ext = (file.name.split(".").pop() ?? "").toLowerCase();
    const errors: string[] = [];
    if (!EXTENSIONS[kind].includes(ext)) {
        errors.push(`The file is a ${kind} image, so its name must end in .${EXTENSIONS[kind][0]}.`);
    }
    let width: number | undefined;
    let height: number | undefined;
    try {
        const bitmap = await createImageBitmap(file);
        width = bitmap.width;
        height = bitmap.height;
        bitmap.close();
    } catch {
        return { errors: [...errors, "This image could not be read; it may be damaged."], kind };
    }
    if (width < MIN_SIDE || height < MIN_SIDE || width > MAX_SIDE || height > MAX_SIDE) {
        errors.push(`The image is ${width}×${height} pixels; each side must be between ${MIN_SIDE} and ${MAX_SIDE} pixels.`);
    }
    return { errors, width, height, kind };
}
