import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decisiveChange } from '../../engine/computer/replay/a11y-verify.ts';

// A click on a calculator's button gives that button the focus, whichever button it is and
// whatever it did: "target became focused" decided such steps alone, and the display's recorded
// text ("7") was never read. Focus alone no longer decides a step that expected text to show.

const expectingText = { ocr_text_appears: ['7'] };
const expectingChange = { ocr_text_appears: [] };

test('focus alone does not decide a step that expected text; with other evidence, or no text expected, it does', () => {
  assert.equal(decisiveChange({ changed: true, evidence: ['target became focused'] }, expectingText)?.changed, false);
  assert.equal(decisiveChange({ changed: true, evidence: ['the text field has focus'] }, expectingText)?.changed, false);
  assert.equal(decisiveChange({ changed: true, evidence: ['target became focused', 'target text changed'] }, expectingText)?.changed, true);
  assert.equal(decisiveChange({ changed: true, evidence: ['dialog "Save As" shown'] }, expectingText)?.changed, true);
  // A click into a text field, recorded as a change only: its focus is the result it was for.
  assert.equal(decisiveChange({ changed: true, evidence: ['the text field has focus'] }, expectingChange)?.changed, true);
  assert.equal(decisiveChange({ changed: true, evidence: ['target became focused'] }, undefined)?.changed, true);
  assert.equal(decisiveChange(undefined, expectingText), undefined);
  assert.equal(decisiveChange({ changed: false, evidence: [] }, expectingText)?.changed, false);
});
