// Compares recipes for log-breach-lstm (CSIC 2010) on validation rows only: each run makes the
// experiment's group split of the given seed (the split seed is also the model seed, as in
// `vigil eval --seed N`), fits the recipe as the experiment does (its last 10% of training rows
// held out for early stopping), and prints the kept epoch's validation loss and accuracy. Test
// rows are scored by runExperiment but not printed unless TUNE_ON=test, for after a choice is made.
//
//   npx tsx scripts/tune-log-breach.mts CONFIG[,CONFIG...] [SPLIT_SEEDS]   e.g. default,stacked 7,2,42
import { defaultRecipe, EXPERIMENTS, runExperiment } from '../ts/experiments/index.ts';
import type { Recipe } from '../ts/experiments/index.ts';
import { Dense } from '../ts/models/layers/dense.ts';
import { Embedding } from '../ts/models/layers/embedding.ts';
import { LSTM } from '../ts/models/layers/lstm.ts';
import { GlobalMaxPooling1D } from '../ts/models/layers/pooling.ts';

const CONFIGS: Record<string, Recipe> = {
  default: defaultRecipe,
  // Two LSTM(128) layers before the pooling (2026-12-07: lower validation loss on split seeds 7 and 2,
  // higher on 42; about twice the time per epoch; not taken).
  stacked: {
    ...defaultRecipe,
    describe: `${defaultRecipe.describe}, with a second LSTM(128, returnSequences)`,
    layers: (V) => [
      new Embedding(V, 32), new LSTM(128, { returnSequences: true }), new LSTM(128, { returnSequences: true }),
      new GlobalMaxPooling1D(), new Dense(1, { activation: 'sigmoid' }),
    ],
  },
};

const [names = '', seedArg = '7,2,42'] = process.argv.slice(2);
const unknown = names.split(',').filter((n) => !CONFIGS[n]);
if (!names || unknown.length) {
  console.error(`usage: tune-log-breach.mts CONFIG[,CONFIG...] [SPLIT_SEEDS]; configs: ${Object.keys(CONFIGS).join(', ')}`);
  process.exit(2);
}
const onTest = process.env.TUNE_ON === 'test';
for (const name of names.split(',')) {
  for (const seed of seedArg.split(',').map(Number)) {
    const r = await runExperiment(EXPERIMENTS['log-breach-lstm'], { recipe: CONFIGS[name], seed });
    const seconds = r.epochSeconds.reduce((a, b) => a + b, 0) / r.epochsRun;
    console.log(JSON.stringify({
      config: name, seed, epochs: r.epochsRun, bestEpoch: r.bestEpoch, valLoss: r.validation?.loss, valAccuracy: r.validation?.metrics.accuracy,
      secondsPerEpoch: +seconds.toFixed(1), ...(onTest ? { testAccuracy: r.metrics.accuracy, testRocAuc: r.metrics.rocAuc } : {}),
    }));
  }
}
