// Rule `closed-set-in-prose` (issue 15, point 3): a string property or parameter whose allowed
// values are listed only in its description ("`a`, `b` or `c`") instead of an `enum`, so that a
// generated client types it `string` and a typo type-checks.
//
// A finding: after resolving `$ref` and `allOf`, the type is string (or an array of strings),
// no layer has an `enum`, and a description of the property (or of what it refers to) lists
// two or more backticked words joined as "`a` or `b`" / "`a`, `b` or `c`". Not a finding:
// a description that says "for example" / "e.g." (values given as examples, not a closed set);
// `null` and `""` (how to clear a field, not values); a list whose words are names of sibling
// properties ("required to change `email` or `newPassword`").
"use strict";
const { effective, eachSchema, eachParameter } = require("./oas.js");

const WORD = "`([A-Za-z0-9_][A-Za-z0-9_.:/+-]*)`";
// `a` or `b` | `a`, `b` or `c` | `a`, `b`, or `c`
const LIST = new RegExp(`${WORD}(?:\\s*,\\s*${WORD})*\\s*,?\\s+or\\s+${WORD}`, "g");
const EXAMPLES = /\bfor example\b|\be\.g\.|\bfor instance\b/i;
const NOT_VALUES = new Set(["null", "true", "false"]);

/** The words of the first closed-set list in `text` that are not excluded, or null. */
function closedSet(text, siblings) {
    if (typeof text !== "string" || EXAMPLES.test(text)) return null;
    for (const m of text.matchAll(LIST)) {
        const words = [...m[0].matchAll(new RegExp(WORD, "g"))].map((w) => w[1]);
        const values = words.filter((w) => !NOT_VALUES.has(w) && !siblings.has(w));
        if (values.length >= 2) return values;
    }
    return null;
}

function stringLike(doc, eff) {
    if (eff.type === "string") return true;
    if (eff.type === "array" && eff.items) {
        const it = effective(doc, eff.items);
        return it.type === "string" && !it.hasEnum;
    }
    return false;
}

module.exports = function closedSetInProse(doc) {
    const results = [];
    const report = (path, what, values) =>
        results.push({
            message: `${what} lists its values in prose (${values.map((v) => `\`${v}\``).join(", ")}) but has no \`enum\`: make it an enum`,
            path,
        });

    eachSchema(doc, (schema, path) => {
        if (!schema.properties || typeof schema.properties !== "object") return;
        const siblings = new Set(Object.keys(effective(doc, schema).properties));
        for (const [name, prop] of Object.entries(schema.properties)) {
            const eff = effective(doc, prop);
            if (eff.hasEnum || !stringLike(doc, eff)) continue;
            for (const d of eff.descriptions) {
                const values = closedSet(d, siblings);
                if (values) {
                    report([...path, "properties", name], `property \`${name}\``, values);
                    break;
                }
            }
        }
    });

    eachParameter(doc, (param, path) => {
        if (!param.schema) return;
        const eff = effective(doc, param.schema);
        if (eff.hasEnum || !stringLike(doc, eff)) return;
        for (const d of [param.description, ...eff.descriptions]) {
            const values = closedSet(d, new Set());
            if (values) {
                report(path, `parameter \`${param.name}\` (${param.in})`, values);
                break;
            }
        }
    });
    return results;
};
