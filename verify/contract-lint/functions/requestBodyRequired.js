// Rule `request-body-without-required` (issue 15, point 2): a POST request body (JSON or
// multipart) whose schema has properties but no `required` list, so that `body: {}` type-checks
// in a generated client and fails at run time.
//
// Exempt: a schema whose description says "every field is optional" (a body that really has no
// required field says so), and PUT bodies (partial updates: only the fields present change).
"use strict";
const { follow, effective, eachOperation } = require("./oas.js");

const MEDIA = /^(application\/json|application\/[a-z0-9.+-]*\+json|multipart\/form-data|application\/x-www-form-urlencoded)\b/i;
const ALL_OPTIONAL = /every field is optional/i;

module.exports = function requestBodyRequired(doc) {
    const results = [];
    eachOperation(doc, (op, opPath, method) => {
        if (method !== "post" || !op.requestBody) return;
        const { node: body, path: bodyPath } = follow(doc, op.requestBody, [...opPath, "requestBody"]);
        if (!body || !body.content) return;
        for (const [mt, media] of Object.entries(body.content)) {
            if (!MEDIA.test(mt) || !media || !media.schema) continue;
            const { node: schema, path: schemaPath } = follow(doc, media.schema, [...bodyPath, "content", mt, "schema"]);
            const eff = effective(doc, schema);
            if (Object.keys(eff.properties).length === 0 || eff.hasRequiredList) continue;
            if (eff.descriptions.some((d) => ALL_OPTIONAL.test(d))) continue;
            const name = schemaPath[0] === "components" ? `schema \`${schemaPath[2]}\`` : "the inline schema";
            results.push({
                message: `POST ${opPath[1]} (${mt}): ${name} has properties but no \`required\` list (or say "every field is optional" in its description)`,
                path: schemaPath,
            });
        }
    });
    return results;
};
