// Vite configuration of the dashboard. Plain JS (no @types/node needed); Vite reads it itself.
//
// The dashboard talks to the API on its own origin ("" base URL): in production the API serves
// web/dist. In development, `npm run dev` (and `npm run preview`) proxy the API's paths to
// API_URL (default http://127.0.0.1:3100).
import { defineConfig } from "vite";

const api = globalThis.process?.env?.API_URL ?? "http://127.0.0.1:3100";
const proxy = Object.fromEntries(
    ["/api", "/uploads", "/presets", "/docs", "/openapi.json", "/openapi.yaml", "/health"].map((p) => [
        p,
        { target: api, changeOrigin: false },
    ]),
);

export default defineConfig({
    oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
    server: { host: "127.0.0.1", port: 5173, strictPort: true, proxy },
    preview: { host: "127.0.0.1", port: 4173, strictPort: true, proxy },
    build: {
        target: "es2022",
        // Deterministic output: content-hashed names, no timestamps, no source maps.
        sourcemap: false,
        assetsInlineLimit: 0,
        reportCompressedSize: true,
        modulePreload: { polyfill: false },
    },
});
