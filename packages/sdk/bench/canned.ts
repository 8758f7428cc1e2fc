/** Canned OpenAI responses, so the benchmark measures instrumentation, not a network. */

export const MODEL = 'gpt-4o-mini';

export const COMPLETION = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Paris is the capital of France.', refusal: null },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage: { prompt_tokens: 14, completion_tokens: 7, total_tokens: 21 },
});

/** An SSE body of `chunks` content chunks, a finish chunk, a usage chunk and `[DONE]`. */
export function streamBody(chunks: number): string {
  const base = {
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'gpt-4o-mini-2024-07-18',
  };
  const events: string[] = [];
  events.push(
    JSON.stringify({
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
    }),
  );
  for (let i = 0; i < chunks; i++)
    events.push(
      JSON.stringify({
        ...base,
        choices: [{ index: 0, delta: { content: ` word${i}` }, finish_reason: null }],
      }),
    );
  events.push(
    JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
  );
  events.push(
    JSON.stringify({
      ...base,
      choices: [],
      usage: { prompt_tokens: 14, completion_tokens: chunks, total_tokens: 14 + chunks },
    }),
  );
  return `${events.map((e) => `data: ${e}\n\n`).join('')}data: [DONE]\n\n`;
}

/** A `fetch` that answers at once with `body` (never touches the network, never yields). */
export function cannedFetch(body: string, contentType: string): typeof fetch {
  return async () =>
    new Response(body, {
      status: 200,
      headers: { 'content-type': contentType, 'x-request-id': 'req_bench' },
    });
}

export const MESSAGES = [
  { role: 'system' as const, content: 'You answer geography questions in one sentence.' },
  { role: 'user' as const, content: 'What is the capital of France?' },
];
