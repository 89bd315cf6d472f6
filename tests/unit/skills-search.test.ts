import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { defaultCacheDir, extractWordVectors, loadWordVectors } from '../../perception/word-vectors.ts';
import { loadWordNet, wordNetDirectory } from '../../perception/wordnet.ts';
import { bm25, createBm25Index, createSemanticIndex, hybridTextScores, semanticShare, semanticWords, type SearchDocument } from '../../skills-mm/search.ts';

const work = mkdtempSync(join(tmpdir(), 'sf-search-'));
after(() => rmSync(work, { recursive: true, force: true }));

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, index) => sum + value * b[index], 0);

test('extraction streams the wink JSON layout: frequency order, escaped words, a cut at maxWords', () => {
  const file = join(work, 'tiny.json');
  const vector = (seed: number) => Array.from({ length: 4 }, (_, index) => Math.sin(seed + index));
  const vectors = { the: [...vector(1), 1, 0], 'say\\"so': [...vector(2), 1, 1], photo: [...vector(3), 1, 2], picture: [...vector(3.1), 1, 3] };
  // Written as the package writes it: header, the words list, then the vectors object in order.
  const body = Object.entries(vectors).map(([word, values]) => `"${word}":[${values.join(',')}]`).join(',');
  writeFileSync(file, `{"precision":8,"l2NormIndex":4,"wordIndex":5,"size":4,"dimensions":4,"words":["the","say\\"so","photo","picture"],"vectors":{${body}},"unkVector":[0,0,0,0,0,-1]}`);
  const all = extractWordVectors(file, 10);
  assert.deepEqual(all.words, ['the', 'say"so', 'photo', 'picture']);
  assert.equal(all.dimensions, 4);
  assert.equal(all.values.length, 16);
  const two = extractWordVectors(file, 2);
  assert.deepEqual(two.words, ['the', 'say"so']);
});

test('the npm GloVe vectors load, are cached, and place related words near each other', () => {
  const cacheDir = join(work, 'cache');
  const first = loadWordVectors({ cacheDir, maxWords: 50_000 });
  assert.equal(first.dimensions, 100);
  assert.equal(first.size, 50_000);
  assert.equal(first.rank('the'), 0, 'frequency order: "the" first');
  assert.ok(readdirSync(cacheDir).some((file) => file.endsWith('.bin')), 'the compact cache was written');
  const photo = first.vector('photo')!;
  const picture = first.vector('picture')!;
  const invoice = first.vector('invoice')!;
  assert.ok(Math.abs(cosine(photo, photo) - 1) < 1e-5, 'unit vectors');
  assert.ok(cosine(photo, picture) > 0.6, `photo ~ picture ${cosine(photo, picture)}`);
  assert.ok(cosine(photo, invoice) < cosine(photo, picture) - 0.3, 'an unrelated word is far');
  assert.equal(first.vector('zzqxjv'), undefined);
});

const documents: SearchDocument[] = [
  { id: 'refund-payment', fields: [{ text: 'refund payment. Click the "Payments" button, then click "Refund", then "Confirm refund".', weight: 1 }] },
  { id: 'rotate-photo', fields: [{ text: 'rotate photo. Click the "Edit" button, then click "Rotate right", then "Done".', weight: 1 }] },
  { id: 'block-sender', fields: [{ text: 'block sender. Click the "More" button, then click "Block sender".', weight: 1 }] },
];

test('meaning bridges a paraphrase BM25 cannot: no shared word, right skill first', () => {
  const vectors = loadWordVectors({ cacheDir: join(work, 'cache'), maxWords: 50_000 });
  const query = 'turn my sideways picture upright';
  assert.equal(Math.max(0, ...bm25(documents, query).values()), 0, 'no word in common');
  const scores = createSemanticIndex(documents, vectors).score(query);
  const ranked = [...scores].sort((a, b) => b[1].score - a[1].score).map(([id]) => id);
  assert.equal(ranked[0], 'rotate-photo');
  const hybrid = hybridTextScores(documents, 'give the customer their money back', vectors);
  assert.equal([...hybrid].sort((a, b) => b[1].text - a[1].text)[0][0], 'refund-payment');
  // Template slots and boilerplate every skill shares do not count.
  assert.deepEqual(semanticWords('Type {{text_1}} into the "Title" field'), ['type', 'title', 'field']);
});

test('meaning stands in only for the words no skill holds: BM25 ranks a query one skill holds word for word', () => {
  const vectors = loadWordVectors({ cacheDir: join(work, 'cache'), maxWords: 50_000 });
  const index = createBm25Index(documents);
  assert.equal(index.coverage('rotate the photo'), 1);
  assert.equal(index.coverage('turn my sideways picture upright'), 0);
  const partial = index.coverage('rotate my sideways picture');
  assert.ok(partial > 0 && partial < 1, `partial coverage ${partial}`);
  // Held whole by one skill: the text score is BM25's.
  for (const value of hybridTextScores(documents, 'rotate the photo', vectors).values()) assert.equal(value.text, value.lexical);
  // Held by none: meaning has its full share.
  for (const value of hybridTextScores(documents, 'turn my sideways picture upright', vectors).values()) assert.ok(Math.abs(value.text - semanticShare * (value.semantic ?? 0)) < 1e-9);
  // In between: in proportion.
  for (const value of hybridTextScores(documents, 'rotate my sideways picture', vectors).values()) {
    const share = semanticShare * (1 - partial);
    assert.ok(Math.abs(value.text - ((1 - share) * value.lexical + share * (value.semantic ?? 0))) < 1e-9);
  }
});

test('an unrelated question finds nothing; without vectors, search is BM25 alone', () => {
  const vectors = loadWordVectors({ cacheDir: join(work, 'cache'), maxWords: 50_000 });
  const unrelated = hybridTextScores(documents, 'tectonic plates under the ocean', vectors);
  assert.deepEqual([...unrelated.values()].map((value) => value.text), [0, 0, 0]);
  const lexical = hybridTextScores(documents, 'refund', undefined);
  assert.equal(lexical.get('refund-payment')?.text, 1);
  assert.equal(lexical.get('refund-payment')?.semantic, undefined);
  assert.ok(existsSync(join(work, 'cache')));
});

test('the word-vector cache follows SKILLFRAME_CACHE, else a set SKILLFRAME_HOME (tests\' temporary homes), never the user\'s ~/.cache then', () => {
  const saved = { cache: process.env.SKILLFRAME_CACHE, home: process.env.SKILLFRAME_HOME };
  try {
    process.env.SKILLFRAME_CACHE = join(work, 'run-cache');
    process.env.SKILLFRAME_HOME = join(work, 'home');
    assert.equal(defaultCacheDir(), join(work, 'run-cache'));
    delete process.env.SKILLFRAME_CACHE;
    assert.equal(defaultCacheDir(), join(work, 'home', 'cache'));
    delete process.env.SKILLFRAME_HOME;
    assert.ok(defaultCacheDir().endsWith(join('.cache', 'skillframe')) || defaultCacheDir().endsWith('skillframe'));
  } finally {
    for (const [key, value] of [['SKILLFRAME_CACHE', saved.cache], ['SKILLFRAME_HOME', saved.home]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
});

test('WordNet from npm: base forms, synonyms, derived forms and phrases of the first senses', () => {
  const wordnet = loadWordNet();
  assert.deepEqual(wordnet.baseForms('invitations'), ['invitation']);
  assert.ok(wordnet.baseForms('deleting').includes('delete'));
  const refund = wordnet.related('refund');
  assert.equal(refund.get('give_back'), 0.9, JSON.stringify([...refund]));
  assert.equal(refund.get('repay'), 0.9);
  assert.ok((wordnet.related('photo').get('picture') ?? 0) >= 0.8);
  assert.ok((wordnet.related('invitation').get('invite') ?? 0) >= 0.7, 'derived form');
  assert.equal(wordnet.related('refund').has('refund'), false, 'not the word itself');
  assert.equal(wordnet.related('zzqxjv').size, 0);
});

test('WordNet lookups binary-search the sorted index files: the first and last lemma of each are found, a word between two is not', () => {
  const wordnet = loadWordNet();
  for (const name of ['noun', 'verb', 'adj', 'adv']) {
    const lemmas = readFileSync(join(wordNetDirectory(), `index.${name}`), 'latin1').split('\n').filter((line) => line && !line.startsWith(' ')).map((line) => line.split(' ')[0]);
    for (const lemma of [lemmas[0], lemmas[1], lemmas[Math.floor(lemmas.length / 2)], lemmas.at(-1)!]) assert.ok(wordnet.baseForms(lemma).includes(lemma), `${name}: ${lemma}`);
  }
  assert.deepEqual(wordnet.baseForms('refundz'), []);
});

test('with WordNet, a phrase of the query names the skill\'s word ("give … back" is "refund"), and plurals meet', () => {
  const vectors = loadWordVectors({ cacheDir: join(work, 'cache'), maxWords: 50_000 });
  const wordnet = loadWordNet();
  const shop: SearchDocument[] = [
    { id: 'refund-payment', fields: [{ text: 'refund payment. Click "Refund".', weight: 1 }] },
    { id: 'send-invoice', fields: [{ text: 'send invoice to customer. Click "Send to customer".', weight: 1 }] },
    { id: 'decline-invite', fields: [{ text: 'decline invite. Click "Invitations", then "Decline".', weight: 1 }] },
  ];
  const top = (query: string, lexicon?: typeof wordnet) => [...createSemanticIndex(shop, vectors, lexicon).score(query)].sort((a, b) => b[1].score - a[1].score)[0][0];
  // Without WordNet the customer's words pull to the invoice; the phrase is what says refund.
  assert.equal(top('give the customer her cash back'), 'send-invoice');
  assert.equal(top('give the customer her cash back', wordnet), 'refund-payment');
  const plural = createSemanticIndex(shop, vectors, wordnet).score('invitation');
  assert.equal(plural.get('decline-invite')?.strongest, 1, 'invitation meets Invitations');
});
