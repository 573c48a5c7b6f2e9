// Runs one generated sequence against a reference source (the Java NameServer) and a candidate
// (one of our nodes), step by step, comparing every answer; after each UNREGISTER_BROKER it
// waits until both have applied it. Collects the differences the allow-list does not explain.
import { type AllowEntry, type Answer, type FieldDifference, compareAnswers, describeAnswer, describeRequest } from "./compare.js";
import type { DiffSequence, DiffStep } from "./generator.js";
import type { AnswerSource, UnregisterTarget } from "./sources.js";

/** A difference at one step of one seed. */
export interface StepDifference {
  readonly seed: number;
  readonly step: DiffStep;
  readonly reference: Answer | null;
  readonly candidate: Answer | null;
  readonly fields: readonly FieldDifference[];
}

/** What one sequence produced. */
export interface SequenceReport {
  readonly seed: number;
  readonly requests: number;
  /** Requests both servers answered, whose answers were compared (the rest are oneway). */
  readonly answersCompared: number;
  readonly differences: readonly StepDifference[];
  /** How many compared answers each allow-list entry applied to. */
  readonly allowed: ReadonlyMap<string, number>;
  readonly elapsedMs: number;
  /** Of which waiting for unregisters and closed connections to take effect. */
  readonly settleMs: number;
}

/** Runs `sequence` on both sources; closes the sequence's connections at the end. */
export async function runSequence(sequence: DiffSequence, reference: AnswerSource, candidate: AnswerSource, allowList: readonly AllowEntry[]): Promise<SequenceReport> {
  const began = performance.now();
  const differences: StepDifference[] = [];
  const allowed = new Map<string, number>();
  let answersCompared = 0;
  let settleMs = 0;
  const settle = async (target: UnregisterTarget): Promise<[boolean, boolean]> => {
    const began = performance.now();
    const settled = await Promise.all([reference.settleUnregister(target), candidate.settleUnregister(target)]);
    settleMs += performance.now() - began;
    return settled;
  };
  try {
    for (const step of sequence.steps) {
      if (step.disconnectFirst !== undefined) {
        const { actor, target } = step.disconnectFirst;
        await Promise.all([reference.closeActors([actor]), candidate.closeActors([actor])]);
        const settled = await settle(target);
        if (!settled[0] || !settled[1]) {
          const fields = [{ path: `settled after ${actor}'s connection closed (broker gone from cluster info)`, reference: String(settled[0]), candidate: String(settled[1]) }];
          differences.push({ seed: sequence.seed, step, reference: null, candidate: null, fields });
        }
      }
      const [ref, cand] = await Promise.all([reference.send(step), candidate.send(step)]);
      if (ref === null || cand === null) {
        if (ref !== cand) differences.push({ seed: sequence.seed, step, reference: ref, candidate: cand, fields: [{ path: "answer", reference: describeAnswer(ref), candidate: describeAnswer(cand) }] });
      } else {
        answersCompared += 1;
        const comparison = compareAnswers(step, ref, cand, allowList);
        for (const id of comparison.allowed) allowed.set(id, (allowed.get(id) ?? 0) + 1);
        if (comparison.fields.length > 0) differences.push({ seed: sequence.seed, step, reference: ref, candidate: cand, fields: comparison.fields });
      }
      if (step.unregister !== undefined) {
        const [refSettled, candSettled] = await settle(step.unregister);
        if (!refSettled || !candSettled) {
          differences.push({
            seed: sequence.seed,
            step,
            reference: ref,
            candidate: cand,
            fields: [{ path: "settled (broker gone from cluster info)", reference: String(refSettled), candidate: String(candSettled) }],
          });
        }
      }
    }
  } finally {
    await Promise.all([reference.closeActors(sequence.actors), candidate.closeActors(sequence.actors)]);
  }
  return { seed: sequence.seed, requests: sequence.steps.length, answersCompared, differences, allowed, elapsedMs: performance.now() - began, settleMs };
}

/** A difference as the failure report prints it: seed, index, request, both answers, fields. */
export function formatDifference(difference: StepDifference, referenceName: string, candidateName: string): string {
  const { seed, step } = difference;
  return [
    `seed ${seed}, request #${step.index} on ${step.actor}: ${step.label}`,
    `  request: ${describeRequest(step)}`,
    `  ${referenceName}: ${describeAnswer(difference.reference)}`,
    `  ${candidateName}: ${describeAnswer(difference.candidate)}`,
    ...difference.fields.map((f) => `  differs at ${f.path}: ${referenceName} ${f.reference} | ${candidateName} ${f.candidate}`),
  ].join("\n");
}
