import { Ajv } from 'ajv';

// Bodies are checked as they are: no type coercion (a number is not a label value, a string is not a
// list of matchers) and no silent removal of unknown keys (a misspelt key must not widen a pause).
const ajv = new Ajv({ coerceTypes: false, removeAdditional: false, allErrors: false });

/** A fastify `validatorCompiler` for request bodies that must be taken exactly as sent. */
export const strictValidator = ({ schema }: { schema: object }) => ajv.compile(schema);
