// Unknown option keys are a TypeError naming the function and the key (ts/models/options.ts): the
// helper's message and suggestion, then one misspelt option per public function that takes options.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { knownOptions } from '../ts/models/options.ts';
import { throwsError } from './helpers/errors.ts';

const FIT = ['epochs', 'batchSize', 'validationSplit'] as const;

test('knownOptions: known keys, undefined and {} pass', () => {
  knownOptions('fit', undefined, FIT);
  knownOptions('fit', {}, FIT);
  knownOptions('fit', { epochs: 1, batchSize: undefined }, FIT);
});

test('knownOptions: an unknown key names the function, the key and every option', () => {
  throwsError(() => knownOptions('fit', { epochs: 1, zzz: 2 }, FIT), TypeError,
    /^fit: unknown option 'zzz' \(options: epochs, batchSize, validationSplit\)$/);
});

test('knownOptions: a key present but undefined is still unknown', () => {
  throwsError(() => knownOptions('fit', { zzz: undefined }, FIT), TypeError, /^fit: unknown option 'zzz'/);
});

test('knownOptions: suggests a name equal but for case, or a small edit away', () => {
  const cases: [string, string][] = [
    ['batchsize', 'batchSize'], ['BATCHSIZE', 'batchSize'], ['epoch', 'epochs'], ['epochss', 'epochs'],
    ['validationSplt', 'validationSplit'], ['validatoinSplit', 'validationSplit'],
  ];
  for (const [typo, meant] of cases) {
    throwsError(() => knownOptions('fit', { [typo]: 1 }, FIT), TypeError,
      new RegExp(`^fit: unknown option '${typo}' \\(did you mean '${meant}'\\?; options: epochs, `));
  }
});

test('knownOptions: no suggestion when nothing is close', () => {
  for (const key of ['size', 'epochsAndMore', 'seed']) {
    const err = (() => { try { knownOptions('fit', { [key]: 1 }, FIT); } catch (e) { return e as Error; } })();
    assert.ok(err instanceof TypeError);
    assert.not.match(err.message, /did you mean/);
  }
});

test('knownOptions: options that are not an object', () => {
  throwsError(() => knownOptions('fit', null, FIT), TypeError, /^fit: options must be an object, got null$/);
  throwsError(() => knownOptions('fit', 3, FIT), TypeError, /^fit: options must be an object, got number$/);
  throwsError(() => knownOptions('fit', [1], FIT), TypeError, /^fit: options must be an object, got an array$/);
});

test.run();
