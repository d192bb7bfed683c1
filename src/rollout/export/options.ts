/** Options every export format takes. */
export interface FormatOptions {
  /**
   * The name the shell tool gets. @default openai and sharegpt: the episode's (`setup.bashName`),
   * else 'bash'; openhands: the episode's when it used the text format, else 'execute_bash'
   */
  bashName?: 'bash' | 'execute_bash';
  /**
   * What becomes of reasoning the server returned apart from the text (`turn.reasoning`): left out
   * ('omit'), or written before the assistant's text as `<think>\n...\n</think>\n\n` ('think'; in
   * sharegpt also before a function_call's JSON, where LLaMA-Factory's reasoning templates take it
   * as the thought). @default 'omit'
   */
  reasoning?: 'omit' | 'think';
}

/** The assistant's text with its reasoning first, when `reasoning: 'think'` asks for it. */
export function withReasoning(text: string, reasoning: string | undefined, mode: FormatOptions['reasoning']): string {
  if (mode !== 'think' || reasoning === undefined || reasoning === '') return text;
  return `<think>\n${reasoning}\n</think>\n\n${text}`;
}
