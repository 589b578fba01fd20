import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUDGET_BYTES, measure } from './bundle-size.mjs';

test('first load stays under 300 KB of compressed JavaScript', () => {
  const sizes = measure();
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log(
    `JS gzip: entry ${kb(sizes.entry)}, sign-in page ${kb(sizes.login)}, document list ${kb(sizes.documents)}, ` +
      `prompt editor ${kb(sizes.promptEditor)}, model editor ${kb(sizes.modelEditor)}, all chunks ${kb(sizes.allChunks)}`,
  );
  for (const page of ['login', 'documents', 'promptEditor', 'modelEditor']) {
    assert.ok(sizes[page] < BUDGET_BYTES, `${page}: ${kb(sizes[page])} is over the budget`);
  }
});
