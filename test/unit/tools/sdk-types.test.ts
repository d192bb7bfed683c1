import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { toolSchemas } from '../../../src/tools/export-schemas.js';

// The assignments below are the test: `tsc --noEmit` (part of `npm test`) fails when our tool types
// stop being what the official SDKs accept. test/consumer/ checks the same against the packed package.
const anthropicTools: Anthropic.Messages.MessageCreateParams['tools'] = toolSchemas('anthropic');
const openaiTools: OpenAI.Chat.ChatCompletionCreateParams['tools'] = toolSchemas('openai', { bashName: 'execute_bash' });

describe('tool schemas for the official SDKs', () => {
  it('give every input schema type "object" with properties, as both SDKs require', () => {
    for (const t of anthropicTools ?? []) {
      expect(t).toMatchObject({ input_schema: { type: 'object', properties: expect.any(Object) } });
    }
    for (const t of openaiTools ?? []) {
      expect(t).toMatchObject({ type: 'function', function: { parameters: { type: 'object', properties: expect.any(Object) } } });
    }
  });
});
