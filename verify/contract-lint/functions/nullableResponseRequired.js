// Rule `nullable-not-required` (issue 15, point 4): a nullable property of a schema that a
// response can carry, left out of that schema's `required`, so that a generated client sees
// `field?: T | null` (two "no value" states) although the server always sends the field.
//
// Reachable from a response: every schema met from any response's content (JSON, SSE, …) through
// `$ref`, properties, items, additionalProperties and allOf/oneOf/anyOf. A property is nullable
// when it or any layer of its `$ref`/`allOf` chain says `nullable: true`. A schema reachable from
// both a request and a response is held to the response's rule.
"use strict";
const { deref, effective, eachOperation } = require("./oas.js");

module.exports = function nullableResponseRequired(doc) {
    const results = [];
    const seen = new Set();
    const visit = (s, path) => {
        if (!s || typeof s !== "object" || Array.isArray(s) || seen.has(s)) return;
        seen.add(s);
        if (typeof s.$ref === "string") {
            const t = deref(doc, s.$ref);
            if (t) visit(t.node, t.path);
        }
        if (s.properties && typeof s.properties === "object") {
            const required = effective(doc, s).required;
            for (const [name, prop] of Object.entries(s.properties)) {
                if (effective(doc, prop).nullable && !required.has(name)) {
                    results.push({
                        message: `nullable property \`${name}\` of a response schema is not in \`required\`: the server always sends it, so list it (a client would otherwise see \`${name}?: T | null\`)`,
                        path: [...path, "properties", name],
                    });
                }
                visit(prop, [...path, "properties", name]);
            }
        }
        if (s.items) visit(s.items, [...path, "items"]);
        if (s.additionalProperties && typeof s.additionalProperties === "object") {
            visit(s.additionalProperties, [...path, "additionalProperties"]);
        }
        for (const k of ["allOf", "oneOf", "anyOf"]) {
            if (Array.isArray(s[k])) s[k].forEach((v, i) => visit(v, [...path, k, i]));
        }
    };
    const content = (c, path) => {
        if (!c || typeof c !== "object") return;
        for (const [mt, m] of Object.entries(c)) if (m && m.schema) visit(m.schema, [...path, mt, "schema"]);
    };
    const response = (r, path) => {
        if (!r || typeof r !== "object") return;
        if (typeof r.$ref === "string") {
            const t = deref(doc, r.$ref);
            if (t) response(t.node, t.path);
            return;
        }
        content(r.content, [...path, "content"]);
    };
    eachOperation(doc, (op, opPath) => {
        for (const [code, r] of Object.entries(op.responses || {})) response(r, [...opPath, "responses", code]);
    });
    for (const [name, r] of Object.entries((doc.components && doc.components.responses) || {})) {
        response(r, ["components", "responses", name]);
    }
    return results;
};
