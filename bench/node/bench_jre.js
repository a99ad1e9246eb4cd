// json-rules-engine (the most used JavaScript rule engine) on the same 5-leaf
// condition and facts as the core benchmark; prints evaluations per second.
const { Engine } = require('json-rules-engine');
const spec = require('../conditions.json').core_5;

// The condition language mapped onto json-rules-engine's operators.
const ops = { gte: 'greaterThanInclusive', lt: 'lessThan', eq: 'equal', in: 'in', contains: 'contains' };
const conditions = {
  all: spec.condition.all.map((l) => ({ fact: l.field, operator: ops[l.op], value: l.value })),
};

async function main() {
  const engine = new Engine([{ conditions, event: { type: 'match' } }], { allowUndefinedFacts: true });
  const seconds = Number(process.env.SECONDS_TO_RUN || 3);
  let n = 0;
  let matched = 0;
  const warm = Date.now() + 300;
  while (Date.now() < warm) await engine.run(spec.facts);
  const start = process.hrtime.bigint();
  const stop = start + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < stop) {
    for (let i = 0; i < 100; i++) {
      const { events } = await engine.run(spec.facts);
      matched += events.length;
      n++;
    }
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  if (matched !== n) throw new Error('condition did not match');
  console.log(JSON.stringify({ evaluations: n, seconds: elapsed, per_second: n / elapsed }));
}
main().catch((e) => { console.error(e); process.exit(1); });
