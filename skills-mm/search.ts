/**
 * Text ranking for the library: BM25 over name, description, state cards and step text, plus a
 * meaning score from word vectors (below). Small and in-process; a library holds hundreds of
 * skills, not millions.
 */

const stopwords = new Set('a an and are as at be by for from has have in into is it its of on or that the then this to was were when where which with you your use do'.split(' '));

export function tokenize(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((token) => token.length > 0 && !stopwords.has(token))
    .map(stem);
}

/** A light stemmer: plural and -ing/-ed endings, enough for "saving"/"saves"/"save" to meet. */
function stem(token: string): string {
  let word = token;
  if (word.length > 5 && word.endsWith('ing')) word = word.slice(0, -3);
  else if (word.length > 4 && word.endsWith('ed')) word = word.slice(0, -2);
  else if (word.length > 4 && word.endsWith('es')) word = word.slice(0, -2);
  else if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) word = word.slice(0, -1);
  // A final e goes too, so save / saves / saving / saved all meet at "sav".
  if (word.length > 3 && word.endsWith('e')) word = word.slice(0, -1);
  return word;
}

export interface SearchDocument {
  id: string;
  /** Fields with weights: a match in the name counts more than one in a card. */
  fields: { text: string; weight: number }[];
}

/** Tokenized documents with their statistics, built once and queried many times. */
export interface Bm25Index {
  score(query: string): Map<string, number>;
  /**
   * How much of the query one skill's text holds word for word: the largest share, over the
   * skills, of the query's terms (each weighted by its rarity in the library) that the skill has.
   */
  coverage(query: string): number;
}

export function createBm25Index(documents: readonly SearchDocument[], k1 = 1.2, b = 0.75): Bm25Index {
  const bags = documents.map((document) => {
    const counts = new Map<string, number>();
    let length = 0;
    for (const field of document.fields) {
      for (const token of tokenize(field.text)) {
        counts.set(token, (counts.get(token) ?? 0) + field.weight);
        length += field.weight;
      }
    }
    return { id: document.id, counts, length };
  });
  const averageLength = bags.reduce((sum, bag) => sum + bag.length, 0) / (bags.length || 1) || 1;
  const postings = new Map<string, number[]>();
  bags.forEach((bag, index) => {
    for (const token of bag.counts.keys()) {
      const list = postings.get(token);
      if (list) list.push(index);
      else postings.set(token, [index]);
    }
  });
  const inverseFrequency = (term: string) => {
    const containing = postings.get(term)?.length ?? 0;
    return Math.log(1 + (bags.length - containing + 0.5) / (containing + 0.5));
  };
  return {
    coverage(query) {
      const terms = [...new Set(tokenize(query))];
      const total = terms.reduce((sum, term) => sum + inverseFrequency(term), 0);
      if (total <= 0) return 0;
      return Math.max(0, ...bags.map((bag) => terms.reduce((sum, term) => sum + (bag.counts.has(term) ? inverseFrequency(term) : 0), 0) / total));
    },
    score(query) {
      const scores = new Map<string, number>();
      for (const term of new Set(tokenize(query))) {
        const containing = postings.get(term);
        if (!containing) continue;
        const idf = inverseFrequency(term);
        for (const index of containing) {
          const bag = bags[index];
          const frequency = bag.counts.get(term)!;
          const score = (idf * frequency * (k1 + 1)) / (frequency + k1 * (1 - b + (b * bag.length) / averageLength));
          scores.set(bag.id, (scores.get(bag.id) ?? 0) + score);
        }
      }
      return scores;
    },
  };
}

/** One-shot BM25 (builds the index and scores one query). */
export function bm25(documents: readonly SearchDocument[], query: string, k1 = 1.2, b = 0.75): Map<string, number> {
  return createBm25Index(documents, k1, b).score(query);
}

/**
 * Meaning, not spelling: "give a customer their money back" and "Refund" share no word, so BM25
 * scores them 0. Each query word is compared with every word of a skill's text through GloVe word
 * vectors (perception/word-vectors.ts, shipped on npm); its best likeness in the skill is its score
 * there (an exact word scores 1, a likeness under 0.3 nothing). With WordNet (perception/wordnet.ts,
 * also from npm), a synonym, derived form or broader term counts with its strength (0.5–0.9), and
 * a WordNet phrase of a skill's word found whole in the query ("give … back" for "refund") is one
 * more query term. Frequent English words weigh little
 * on both sides (smooth inverse frequency, Arora et al. 2017), and each query word's scores are
 * centred over the library, so a word every skill shares ("click", "button") lifts none of them.
 * Settings chosen on the tuned half of bench/skill-selection.ts only.
 */
export interface SemanticIndex {
  /** Per skill: the centred meaning score, and the strongest single-word likeness (1 = the same word). */
  score(query: string): Map<string, { score: number; strongest: number }>;
}

/** Words only: no stemming (the vectors know "saving" and "save" are near), template slots dropped. */
export function semanticWords(text: string): string[] {
  return text
    .replace(/\{\{[^}]*\}\}/g, ' ')
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 1 && !stopwords.has(word) && !/^\d+$/.test(word));
}

/** What the semantic index needs of a word-vector table (perception's WordVectors has it). */
export interface WordVectorLookup {
  vector(word: string): Float32Array | undefined;
  rank(word: string): number | undefined;
}

/** Smooth inverse frequency: a / (a + p(word)), p from the word's Zipf rank in the vectors' corpus. */
function frequencyWeight(vectors: WordVectorLookup, word: string): number {
  const rank = vectors.rank(word);
  if (rank === undefined) return 1;
  const probability = 0.1 / (rank + 1);
  return smoothing / (smoothing + probability);
}

const likenessFloor = 0.3;
/** SIF's a: with it, "give"/"back" (rank ~200) weigh ~0.17, "refund" (rank ~16,000) ~0.94. */
const smoothing = 1e-4;
/** Only content words (this frequency weight or more on both sides) can make a skill "related". */
const contentWeight = 0.5;

/** What the semantic index needs of a synonym lexicon (perception's WordNet has it). */
export interface LexiconLookup {
  related(word: string): Map<string, number>;
  baseForms(word: string): string[];
}

export function createSemanticIndex(documents: readonly SearchDocument[], vectors: WordVectorLookup, lexicon?: LexiconLookup): SemanticIndex {
  const docs = documents.map((document) => {
    const words = new Set(document.fields.flatMap((field) => semanticWords(field.text)));
    const entries: { vector: Float32Array; weight: number }[] = [];
    // The skill's words in their base forms ("invitations" meets "invitation"), and what WordNet
    // relates to them ("refund" → "give_back", "repay"), each with its strength.
    const forms = new Set(words);
    const related = new Map<string, number>();
    for (const word of words) {
      const vector = vectors.vector(word);
      if (vector) entries.push({ vector, weight: frequencyWeight(vectors, word) });
      if (!lexicon) continue;
      for (const base of lexicon.baseForms(word)) forms.add(base);
      for (const [lemma, strength] of lexicon.related(word)) if ((related.get(lemma) ?? 0) < strength) related.set(lemma, strength);
    }
    const phrases = [...related].filter(([lemma]) => lemma.includes('_')).map(([lemma, strength]) => ({ parts: lemma.split('_'), strength }));
    return { id: document.id, entries, words, forms, related, phrases };
  });
  return {
    score(query) {
      const totals = new Map<string, number>(docs.map((doc) => [doc.id, 0]));
      const strongest = new Map<string, number>(docs.map((doc) => [doc.id, 0]));
      let weightSum = 0;
      /** One query term's score per skill, centred over the library, weighted into the totals. */
      const add = (perDoc: number[], weight: number) => {
        const mean = perDoc.reduce((sum, value) => sum + value, 0) / (perDoc.length || 1);
        if (perDoc.every((value) => Math.abs(value - mean) < 1e-9)) return;
        weightSum += weight;
        docs.forEach((doc, index) => totals.set(doc.id, totals.get(doc.id)! + weight * (perDoc[index] - mean)));
      };
      const queryWords = [...new Set(semanticWords(query))];
      const queryForms = new Set(queryWords.flatMap((word) => [word, ...(lexicon?.baseForms(word) ?? [])]));
      for (const word of queryWords) {
        const vector = vectors.vector(word);
        const weight = frequencyWeight(vectors, word);
        const forms = lexicon ? [word, ...lexicon.baseForms(word)] : [word];
        const related = lexicon?.related(word);
        const perDoc = docs.map((doc) => {
          if (forms.some((form) => doc.forms.has(form))) {
            strongest.set(doc.id, 1);
            return 1;
          }
          let best = 0;
          if (vector) {
            for (const entry of doc.entries) {
              let dot = 0;
              for (let dimension = 0; dimension < vector.length; dimension += 1) dot += vector[dimension] * entry.vector[dimension];
              best = Math.max(best, (Math.max(0, dot - likenessFloor) / (1 - likenessFloor)) * entry.weight);
              if (dot > strongest.get(doc.id)! && entry.weight >= contentWeight && weight >= contentWeight) strongest.set(doc.id, dot);
            }
          }
          if (lexicon && related) {
            // Related either way round, or a phrase of the skill's ("give back") all in the query.
            let relation = Math.max(0, ...forms.map((form) => doc.related.get(form) ?? 0));
            for (const [lemma, strength] of related) if (strength > relation && doc.forms.has(lemma)) relation = strength;
            best = Math.max(best, relation);
            if (relation >= 0.7) strongest.set(doc.id, Math.max(strongest.get(doc.id)!, relation));
          }
          return best;
        });
        add(perDoc, weight);
      }
      // A phrase WordNet gives for a skill's word ("refund" → "give back") whose words are all in
      // the query is one more term: as rare as a word of its own, though "give" and "back" are not.
      const phrases = new Set(docs.flatMap((doc) => doc.phrases.filter((phrase) => phrase.parts.every((part) => queryForms.has(part))).map((phrase) => phrase.parts.join('_'))));
      for (const phrase of phrases) {
        add(docs.map((doc) => (doc.forms.has(phrase) ? 1 : (doc.related.get(phrase) ?? 0))), 1);
        for (const doc of docs) if ((doc.related.get(phrase) ?? 0) >= 0.7) strongest.set(doc.id, Math.max(strongest.get(doc.id)!, doc.related.get(phrase)!));
      }
      return new Map(docs.map((doc) => [doc.id, { score: weightSum > 0 ? totals.get(doc.id)! / weightSum : 0, strongest: strongest.get(doc.id)! }]));
    },
  };
}

/**
 * Share of the meaning score in the text score when no skill holds any of the query's words (the
 * rest is BM25); it shrinks as one skill holds more of them. Chosen on the tuned half.
 */
export const semanticShare = 0.8;

/**
 * A skill that shares no word with the query is listed only when some query word is this close to
 * one of its words ("refund" ~ "money" 0.50 is not enough alone; "photo" ~ "picture" 0.71 is), so an
 * unrelated question still gets "no skill matches" instead of the least unrelated skill.
 */
export const strongLikeness = 0.55;

/**
 * BM25 and meaning together, each scaled to its best skill: 0..1 per skill, meaning's share
 * smaller the more of the query some skill holds word for word. Without vectors, BM25 alone (what
 * `library search` did before).
 */
export function hybridTextScores(documents: readonly SearchDocument[], query: string, vectors?: WordVectorLookup, lexicon?: LexiconLookup): Map<string, { text: number; lexical: number; semantic?: number }> {
  const index = createBm25Index(documents);
  const lexical = index.score(query);
  const maxLexical = Math.max(0, ...lexical.values());
  // Meaning stands in for the words no skill has: a query a skill holds word for word ("refund the
  // payment in Billing") is ranked by BM25, a paraphrase sharing no word by meaning, and one in
  // between by both in proportion.
  const share = semanticShare * (1 - index.coverage(query));
  const semantic = vectors ? createSemanticIndex(documents, vectors, lexicon).score(query) : undefined;
  const maxSemantic = semantic ? Math.max(0, ...[...semantic.values()].map((value) => value.score)) : 0;
  const scores = new Map<string, { text: number; lexical: number; semantic?: number }>();
  for (const document of documents) {
    const lexicalScore = maxLexical > 0 ? (lexical.get(document.id) ?? 0) / maxLexical : 0;
    if (!semantic) {
      scores.set(document.id, { text: lexicalScore, lexical: lexicalScore });
      continue;
    }
    const meaning = semantic.get(document.id);
    const related = lexicalScore > 0 || (meaning?.strongest ?? 0) >= strongLikeness;
    const semanticScore = related && maxSemantic > 0 ? Math.max(0, meaning?.score ?? 0) / maxSemantic : 0;
    scores.set(document.id, { text: (1 - share) * lexicalScore + share * semanticScore, lexical: lexicalScore, semantic: semanticScore });
  }
  return scores;
}
