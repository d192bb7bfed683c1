import { readFileSync } from 'node:fs';
import { parseInstance, type BaseInstance, type TaskDefinition } from '../../src/tasks/define-task.js';
import type { Action } from '../../src/tools/types.js';
import type { RecordedRequest, Reply, Script } from './scripted-llm-server.js';

/** An action in OpenHands' text format, as a model writes it. */
export function textCall(action: Action): string {
  const input = (action.input ?? {}) as Record<string, unknown>;
  const params = Object.entries(input).map(([k, v]) => `<parameter=${k}>${typeof v === 'string' ? v : JSON.stringify(v)}</parameter>`);
  return [`<function=${action.tool}>`, ...params, '</function>'].join('\n');
}

export interface TeacherOptions {
  /** Tool calls (OpenAI), the text format (OpenAI), or tool_use blocks (Anthropic's Messages API). */
  format: 'function-calling' | 'text' | 'anthropic';
  /** Replies to give before the real ones, by request index (a 429 to test retries, say). */
  before?: (index: number) => Reply | undefined;
  /** Logprobs to attach to every reply. */
  logprobs?: boolean;
}

/**
 * A scripted "teacher model" for `run --agent openai`: it recognises the instance by the task prompt
 * of the conversation and answers with the task's oracle actions, one per reply (as tool calls or in
 * the text format), then `finish`. Instances are read from `instancesFile` on first use, so the file
 * may be written after the server starts.
 */
export function oracleTeacher<I extends BaseInstance>(task: TaskDefinition<I>, instancesFile: string | (() => string), options: TeacherOptions): Script {
  let plans: Map<string, Action[]> | undefined;
  const load = async (): Promise<Map<string, Action[]>> => {
    const path = typeof instancesFile === 'string' ? instancesFile : instancesFile();
    const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
    const map = new Map<string, Action[]>();
    for (const line of lines) {
      const instance = parseInstance(task, JSON.parse(line)) as I;
      const ctx = { workdir: '/workspace' };
      map.set(await task.prompt(instance, ctx), [...(await task.oracle(instance, ctx)), { tool: 'finish', input: { message: 'done' } }]);
    }
    return map;
  };
  return async (request: RecordedRequest, index: number): Promise<Reply> => {
    const early = options.before?.(index);
    if (early) return early;
    plans ??= await load();
    const messages = request.body.messages as Array<{ role: string; content: unknown }>;
    const prompt = messages.find((m) => m.role === 'user')?.content;
    const plan = typeof prompt === 'string' ? plans.get(prompt) : undefined;
    if (!plan) return { kind: 'status', status: 400, body: { error: { message: 'the teacher does not know this prompt', type: 'invalid_request_error' } } };
    const k = messages.filter((m) => m.role === 'assistant').length;
    const action = plan[Math.min(k, plan.length - 1)]!;
    const logprobs = options.logprobs ? [{ token: 'token_id:7', logprob: -0.125 }, { token: 'token_id:8', logprob: -0.5 }] : undefined;
    if (options.format === 'anthropic') {
      return { kind: 'anthropic', content: [{ type: 'text', text: `Step ${k + 1}.` }, { type: 'tool_use', name: action.tool, input: action.input ?? {} }] };
    }
    if (options.format === 'text') {
      return { kind: 'openai', message: { content: `Step ${k + 1}.\n${textCall(action)}` }, ...(logprobs && { logprobs }) };
    }
    return { kind: 'openai', message: { content: `Step ${k + 1}.`, tool_calls: [{ name: action.tool, arguments: JSON.stringify(action.input ?? {}) }] }, ...(logprobs && { logprobs }) };
  };
}
