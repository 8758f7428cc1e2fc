import { describe, expect, it } from 'vitest';
import {
  openaiChatInput,
  openaiChatInputJson,
  openaiChatOutput,
  openaiChatOutputJson,
} from '../src/capture/content.js';

const upper = (s: string): string => s.toUpperCase();

describe('chat content JSON written directly', () => {
  it('is the JSON of the semconv input messages, for plain and other messages alike', () => {
    const messages: unknown[] = [
      { role: 'system', content: 'Answer "briefly".\n\u2028 naïve 😀' },
      { role: 'developer', content: 'dev note', name: 'ops' },
      { role: 'user', content: '' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'part' },
          { type: 'image_url', image_url: { url: 'https://x/y.png' } },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
      },
      { role: 'assistant', content: 'with empty tools', tool_calls: [] },
      { role: 'tool', tool_call_id: 'c1', content: 'result' },
      { content: 'no role' },
      'not an object',
      null,
    ];
    expect(openaiChatInputJson(messages, upper)).toBe(
      JSON.stringify(openaiChatInput(messages, upper)),
    );
    expect(openaiChatInputJson([], upper)).toBe('[]');
  });

  it('is the JSON of the semconv output messages, for plain and other choices alike', () => {
    const choices: unknown[] = [
      {
        index: 0,
        finish_reason: 'stop',
        message: { role: 'assistant', content: 'Paris "is" it.', refusal: null },
      },
      { index: 1, finish_reason: null, message: { content: 'no role, no finish' } },
      {
        index: 2,
        finish_reason: 'stop',
        message: { role: 'assistant', content: null, refusal: 'no' },
      },
      {
        index: 3,
        finish_reason: 'tool_calls',
        message: {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 't', type: 'function', function: { name: 'g', arguments: 'not json' } },
          ],
        },
      },
      { index: 4 },
      42,
    ];
    expect(openaiChatOutputJson(choices, upper)).toBe(
      JSON.stringify(openaiChatOutput(choices, upper)),
    );
  });
});
