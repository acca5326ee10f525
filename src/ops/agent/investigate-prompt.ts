/**
 * The `investigate-failed-run` prompt: the walk from "a run failed" to its cause with the agent
 * tools, and the shape of the answer. Given a run, the text names it, its flow and its state.
 */
import { AppError } from '../../domain/errors.ts';
import { type OpContext, storeOf } from '../context.ts';
import { resolveFlowRun } from './runs.ts';

export interface PromptInput {
  flow_run_id?: string;
  flow_name?: string;
}

const ANSWER = [
  'Answer with:',
  '- Cause: the exception or condition that made the run fail, in one sentence.',
  '- Evidence: the log ids (log_id) and spans that show it.',
  '- First failing task: its name and task run id, and its subflow if any.',
  '- New or recurring: whether earlier runs of the flow failed the same way (compare-flow-runs, find-flow-runs with states ["FAILED"]).',
  '- Suggested fix: what to change, or what to check next if the cause is not certain.',
].join('\n');

export async function investigatePrompt(
  ctx: OpContext,
  input: PromptInput,
): Promise<{ description: string; text: string }> {
  const steps: string[] = [];
  let subject: string;
  let id = '<flow_run_id>';
  if (input.flow_run_id) {
    const run = await resolveFlowRun(ctx, 'flow_run_id', input.flow_run_id).catch((err: AppError) => {
      throw new AppError('invalid_parameter', err.message, { details: err.details });
    });
    id = run.run.id;
    subject = `flow run '${run.run.name}' (${id}) of flow '${run.flowName}', now ${run.run.state_name ?? run.run.state_type ?? 'without a state'}`;
  } else {
    const flow = input.flow_name ? ` with flow_name "${input.flow_name}"` : '';
    subject = input.flow_name
      ? `the latest failed run of flows named like '${input.flow_name}'`
      : 'the latest failed flow run';
    if (input.flow_name) {
      const known = await storeOf(ctx.services).flowRuns.list(ctx.workspace.id, {
        flowName: input.flow_name,
        descending: true,
        limit: 1,
        offset: 0,
      });
      if (!known.total)
        throw new AppError(
          'invalid_parameter',
          `flow_name: no flow run of a flow named like '${input.flow_name.slice(0, 200)}'`,
          {
            details: { parameter: 'flow_name', hint: 'call find-flow-runs without flow_name to see the flows' },
          },
        );
    }
    steps.push(
      `Call find-flow-runs${flow} and states ["FAILED", "CRASHED"], limit 1: the newest such run is the one to investigate.`,
    );
  }
  steps.push(
    `Call diagnose-flow-run with flow_run_id ${id === '<flow_run_id>' ? 'of that run' : `"${id}"`}: its summary, failing_path and errors (with tracebacks) usually hold the cause.`,
    'If the failing path is deep or wide, call get-trace-tree with expand "failed" to see where in the trace it failed.',
    "Call tail-logs as the first next_step of diagnose-flow-run suggests (the failing task's logs) when the error lines need more context.",
    'Call compare-flow-runs to see whether parameters, tasks or loggers changed since the last completed run.',
  );
  return {
    description: `Investigate ${subject}`,
    text: [
      `Investigate ${subject}: find why it failed.`,
      '',
      ...steps.map((s, i) => `${i + 1}. ${s}`),
      '',
      ANSWER,
    ].join('\n'),
  };
}
