// The redaction patterns live in core (core/redaction.ts): the recorder applies them to what it
// stores, and the skill builder to the text it reads off recorded frames.
export * from '../../../core/redaction.ts';
