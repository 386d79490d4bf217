// Helpers shared by our rule functions (not a rule itself): walking an OpenAPI 3.0 document as
// written (unresolved), following local `$ref`s and `allOf` by hand so that every finding points
// at the place in openapi.yaml where the property is declared.
"use strict";

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** The node a local `$ref` ("#/components/schemas/X") points at, with its path; null if unknown. */
function deref(doc, ref) {
    if (typeof ref !== "string" || !ref.startsWith("#/")) return null;
    const path = ref
        .slice(2)
        .split("/")
        .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    let node = doc;
    for (const key of path) {
        if (node === null || typeof node !== "object" || !(key in node)) return null;
        node = node[key];
    }
    return { node, path };
}

/** Follows a chain of `$ref`s: the final node and its path. */
function follow(doc, node, path) {
    const seen = new Set();
    while (node && typeof node === "object" && typeof node.$ref === "string") {
        if (seen.has(node.$ref)) break;
        seen.add(node.$ref);
        const target = deref(doc, node.$ref);
        if (!target) break;
        node = target.node;
        path = target.path;
    }
    return { node, path };
}

/**
 * Every schema object met through `$ref` and `allOf` from `schema` (the schema itself first):
 * what "the property's schema after resolving $ref/allOf" is made of.
 */
function layers(doc, schema) {
    const out = [];
    const seen = new Set();
    const visit = (s) => {
        if (!s || typeof s !== "object" || seen.has(s)) return;
        seen.add(s);
        out.push(s);
        if (typeof s.$ref === "string") {
            const t = deref(doc, s.$ref);
            if (t) visit(t.node);
        }
        if (Array.isArray(s.allOf)) s.allOf.forEach(visit);
    };
    visit(schema);
    return out;
}

/** The merged view of a schema's layers that our rules need. */
function effective(doc, schema) {
    const ls = layers(doc, schema);
    const pick = (k) => ls.map((l) => l[k]).find((v) => v !== undefined);
    const properties = {};
    const required = new Set();
    for (const l of ls) {
        if (l.properties && typeof l.properties === "object") Object.assign(properties, l.properties);
        if (Array.isArray(l.required)) l.required.forEach((r) => required.add(r));
    }
    return {
        layers: ls,
        type: pick("type"),
        items: pick("items"),
        hasEnum: ls.some((l) => Array.isArray(l.enum)),
        // nullable anywhere in the chain: a `$ref` wrapped in `allOf` with `nullable: true` is nullable
        nullable: ls.some((l) => l.nullable === true),
        descriptions: ls.map((l) => l.description).filter((d) => typeof d === "string"),
        properties,
        required,
        hasRequiredList: ls.some((l) => Array.isArray(l.required) && l.required.length > 0),
    };
}

/**
 * Calls `fn(schema, path)` for every schema object written in the document (components and
 * inline ones in paths), once each, descending through properties, items, allOf/oneOf/anyOf/not
 * and additionalProperties; `$ref`s are not followed (their targets are visited where they live).
 */
function eachSchema(doc, fn) {
    const visit = (s, path) => {
        if (!s || typeof s !== "object" || Array.isArray(s)) return;
        fn(s, path);
        if (s.properties && typeof s.properties === "object") {
            for (const [k, v] of Object.entries(s.properties)) visit(v, [...path, "properties", k]);
        }
        if (s.items) visit(s.items, [...path, "items"]);
        if (s.additionalProperties && typeof s.additionalProperties === "object") {
            visit(s.additionalProperties, [...path, "additionalProperties"]);
        }
        if (s.not) visit(s.not, [...path, "not"]);
        for (const k of ["allOf", "oneOf", "anyOf"]) {
            if (Array.isArray(s[k])) s[k].forEach((v, i) => visit(v, [...path, k, i]));
        }
    };
    const schemas = (doc.components && doc.components.schemas) || {};
    for (const [name, s] of Object.entries(schemas)) visit(s, ["components", "schemas", name]);
    const content = (c, path) => {
        if (!c || typeof c !== "object") return;
        for (const [mt, m] of Object.entries(c)) if (m && m.schema) visit(m.schema, [...path, mt, "schema"]);
    };
    const params = (ps, path) => {
        if (!Array.isArray(ps)) return;
        ps.forEach((p, i) => {
            if (p && p.schema) visit(p.schema, [...path, i, "schema"]);
            if (p && p.content) content(p.content, [...path, i, "content"]);
        });
    };
    for (const [name, p] of Object.entries((doc.components && doc.components.parameters) || {})) {
        if (p && p.schema) visit(p.schema, ["components", "parameters", name, "schema"]);
    }
    for (const [name, r] of Object.entries((doc.components && doc.components.responses) || {})) {
        if (r) content(r.content, ["components", "responses", name, "content"]);
    }
    for (const [name, r] of Object.entries((doc.components && doc.components.requestBodies) || {})) {
        if (r) content(r.content, ["components", "requestBodies", name, "content"]);
    }
    for (const [p, item] of Object.entries(doc.paths || {})) {
        if (!item || typeof item !== "object") continue;
        params(item.parameters, ["paths", p, "parameters"]);
        for (const m of METHODS) {
            const op = item[m];
            if (!op || typeof op !== "object") continue;
            params(op.parameters, ["paths", p, m, "parameters"]);
            if (op.requestBody) content(op.requestBody.content, ["paths", p, m, "requestBody", "content"]);
            for (const [code, r] of Object.entries(op.responses || {})) {
                if (r) content(r.content, ["paths", p, m, "responses", code, "content"]);
            }
        }
    }
}

/** Calls `fn(parameter, path)` for every parameter object (after `$ref`), at its written place. */
function eachParameter(doc, fn) {
    const seen = new Set();
    const one = (p, path) => {
        const { node, path: where } = follow(doc, p, path);
        if (!node || typeof node !== "object" || seen.has(node)) return;
        seen.add(node);
        fn(node, where);
    };
    for (const [name, p] of Object.entries((doc.components && doc.components.parameters) || {})) {
        one(p, ["components", "parameters", name]);
    }
    for (const [p, item] of Object.entries(doc.paths || {})) {
        if (!item || typeof item !== "object") continue;
        (item.parameters || []).forEach((x, i) => one(x, ["paths", p, "parameters", i]));
        for (const m of METHODS) {
            const op = item[m];
            if (op && Array.isArray(op.parameters)) op.parameters.forEach((x, i) => one(x, ["paths", p, m, "parameters", i]));
        }
    }
}

/** Calls `fn(operation, path, method, pathKey)` for every operation. */
function eachOperation(doc, fn) {
    for (const [p, item] of Object.entries(doc.paths || {})) {
        if (!item || typeof item !== "object") continue;
        for (const m of METHODS) if (item[m] && typeof item[m] === "object") fn(item[m], ["paths", p, m], m, p);
    }
}

module.exports = { METHODS, deref, follow, layers, effective, eachSchema, eachParameter, eachOperation };
