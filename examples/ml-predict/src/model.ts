// A tiny multinomial logistic-regression (softmax) classifier for iris flowers. The weights
// are written here rather than trained at run time, so the example has no data or
// dependencies; they are close to what a regularised fit on Fisher's iris data gives.

/** Species the model can predict, in the order of its weight rows. */
export const SPECIES = ['setosa', 'versicolor', 'virginica'] as const;
export type Species = (typeof SPECIES)[number];

/** Sepal and petal measurements in centimetres. */
export interface IrisFeatures {
  sepalLengthCm: number;
  sepalWidthCm: number;
  petalLengthCm: number;
  petalWidthCm: number;
}

/** A prediction: the most probable species and the probability of every species. */
export interface Prediction {
  label: Species;
  probabilities: Record<Species, number>;
}

// One row per species: [sepal length, sepal width, petal length, petal width], then the bias.
const WEIGHTS: readonly (readonly [number, number, number, number, number])[] = [
  [-0.42, 0.97, -2.52, -1.08, 9.85],
  [0.53, -0.32, -0.21, -0.94, 2.24],
  [-0.11, -0.65, 2.73, 2.02, -12.09],
];

/** Numerically stable softmax: subtracting the largest logit keeps `exp` from overflowing. */
export function softmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/**
 * Classifies one flower.
 *
 * @throws RangeError when a measurement is not a finite, non-negative number.
 */
export function predict(features: IrisFeatures): Prediction {
  const x = [
    features.sepalLengthCm,
    features.sepalWidthCm,
    features.petalLengthCm,
    features.petalWidthCm,
  ];
  if (x.some((v) => !Number.isFinite(v) || v < 0)) {
    throw new RangeError('measurements must be finite, non-negative centimetres');
  }
  const logits = WEIGHTS.map(
    (w) => w[4] + w[0] * x[0]! + w[1] * x[1]! + w[2] * x[2]! + w[3] * x[3]!,
  );
  const p = softmax(logits);
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
  return {
    label: SPECIES[best]!,
    probabilities: { setosa: p[0]!, versicolor: p[1]!, virginica: p[2]! },
  };
}

/** The model's confidence in a prediction: its top softmax probability. */
export function topProbability(prediction: Prediction): number {
  return Math.max(...Object.values(prediction.probabilities));
}
