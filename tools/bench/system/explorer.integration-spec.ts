/**
 * The profile explorer (GET /explorer on profile-fuser) in a real browser: Debian's chromium driven
 * by playwright-core, against the built fuser on a real broker and Redis. A user who clicked in
 * rounds shows the profile now (its separate interests too) and a plot of interests over time with a
 * point per publish; a user with attributes only shows those that may be published; a user
 * without a profile gets a clear message; the page logs no errors. Skips, saying why, without
 * chromium (npm run setup installs it).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { SingleObjectSerde, topicCatalog, withAttributeDefaults, type Click } from '@profilestream/contracts';
import { BatchingProducer, readTopicToEnd, silentLog } from '@profilestream/kafka';
import { testKafka, uniqueName, waitFor } from '@profilestream/kafka/testing';
import type { ServiceProcess } from '@profilestream/tools-runtime';
import { itemEmbedding } from '@profilestream/tools-events';
import { startTinyFuser, stopTinyFuser } from '@profilestream/tools-runtime/testing';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? null : `no browser at ${CHROMIUM} (npm run setup installs Debian's chromium)`;
if (skip) console.warn(`explorer browser test skipped: ${skip}`);

(skip ? describe.skip : describe)('the profile explorer in a browser', () => {
  const prefix = `${uniqueName('ex')}.`;
  const topics = topicCatalog(prefix);
  const workDir = mkdtempSync(join(tmpdir(), 'profilestream-explorer-'));
  const kafka = testKafka('explorer-spec');
  const producer = new BatchingProducer(kafka, { log: silentLog, maxBatchMessages: 100, lingerMs: 2 });
  const ROUNDS = 4;
  let fuser: ServiceProcess;
  let browser: Browser;

  beforeAll(async () => {
    // One more stage that is not there: the pipeline page must say so and go on.
    const started = await startTinyFuser({
      prefix,
      logDir: workDir,
      env: { FUSER_EXPLORER_STAGES: 'ghost=http://127.0.0.1:1' },
    });
    fuser = started.fuser;
    await producer.connect();
    const embedded = new SingleObjectSerde('EmbeddedText');
    const vector = (i: number) => Array.from({ length: started.dim }, (_, d) => Math.cos(i * 2 + d));
    await producer.send(
      topics.textsEmbedded.name,
      [0, 1].map((i) => ({
        key: `item-${i}`,
        value: embedded.encode(
          itemEmbedding({
            itemId: `item-${i}`,
            vector: vector(i),
            modelId: started.modelId,
            occurredAt: Date.now() - 60_000,
            categories: [`shelf-${i}`],
          }),
        ),
      })),
    );
    await new Promise((r) => setTimeout(r, 1000));
    // Clicks in rounds, each its own publish: the history has a point per round.
    const clickSerde = new SingleObjectSerde('Click');
    for (let round = 0; round < ROUNDS; round++) {
      const click: Click = {
        eventId: `c-${round}`,
        userId: 'ann',
        itemId: `item-${round % 2}`,
        action: 'purchase',
        dwellMs: null,
        platform: 'test',
        occurredAt: Date.now() - 10_000 + round,
      };
      await producer.send(topics.clicks.name, [{ key: 'ann', value: clickSerde.encode(click) }]);
      const published = async () => {
        let n = 0;
        await readTopicToEnd(kafka, topics.profilesChangelog.name, () => void n++);
        return n > round;
      };
      expect(await waitFor(published, 30_000, 200)).toBe(true);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stopTinyFuser({ fuser, producer, workDir });
  }, 60_000);

  it("shows a user's profile and plots their interests at every publish, with no console errors", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${fuser.baseUrl}/explorer`);
    await page.fill('#userId', 'ann');
    await page.click('button[type=submit]');
    await page.waitForSelector('#interestPlot svg', { timeout: 30_000 });
    expect(await page.textContent('#summary')).toContain('ann');
    expect(await page.textContent('#counters')).toContain('click purchase');
    // A point per publish for the label plotted most often.
    const label = await page.getAttribute('#interestPlot circle.point', 'data-label');
    expect(await page.locator(`#interestPlot circle.point[data-label="${label}"]`).count()).toBe(ROUNDS);
    expect(await page.locator('#affinityPlot circle.point').count()).toBeGreaterThanOrEqual(ROUNDS);
    expect(await page.textContent('#status')).toContain(`${ROUNDS} publishes`);
    // Two unlike items: two separate interests, each with its shelf.
    const clusters = await page.textContent('#clusters');
    expect(clusters).toContain('shelf-0');
    expect(clusters).toContain('shelf-1');
    expect(clusters).toMatch(/% of the weight, 2 events/);
    expect(errors).toEqual([]);
  }, 60_000);

  it("shows a user's published attributes, and not the sensitive ones", async () => {
    const users = new SingleObjectSerde('UserAttributes');
    await producer.send(topics.users.name, [
      {
        key: 'bea',
        value: users.encode(
          withAttributeDefaults({
            userId: 'bea',
            occurredAt: Date.now() - 1000,
            ageBand: '25-34',
            gender: 'f',
            country: 'DE',
            languages: ['de', 'en'],
            accountType: 'premium',
          }),
        ),
      },
    ]);
    const page = await browser.newPage();
    const shown = async () => {
      await page.goto(`${fuser.baseUrl}/explorer?user=bea`);
      await page.waitForSelector('#status', { state: 'visible', timeout: 10_000 });
      return !(await page.isHidden('#profile'));
    };
    expect(await waitFor(shown, 30_000, 500)).toBe(true);
    const attributes = await page.textContent('#attributes');
    expect(attributes).toContain('countryDE');
    expect(attributes).toContain('languagesde, en');
    expect(attributes).toContain('accountTypepremium');
    expect(attributes).not.toContain('gender');
    expect(attributes).not.toContain('ageBand');
  }, 60_000);

  it('shows the live pipeline: events per second of every stage that answers, and the one that does not', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${fuser.baseUrl}/explorer#pipeline`);
    // Two readings make a rate; a click sent now makes the fuser's non-zero.
    const clickSerde = new SingleObjectSerde('Click');
    const click: Click = {
      eventId: 'c-live',
      userId: 'bob',
      itemId: 'item-0',
      action: 'click',
      dwellMs: null,
      platform: 'test',
      occurredAt: Date.now(),
    };
    await producer.send(topics.clicks.name, [{ key: 'bob', value: clickSerde.encode(click) }]);
    await page.waitForSelector('#ratePlot circle.point[data-label="profile-fuser"]', { timeout: 30_000 });
    const stages = await page.textContent('#stages');
    // The fuser has consumed what the test sent (items, clicks), and a rate was plotted from it.
    expect(stages).toMatch(/profile-fuser\s*consumed [1-9]\d*, lag \d+/);
    expect(stages).toContain('ghost');
    expect(stages).toContain('unreachable');
    expect(await page.isHidden('#users')).toBe(true);
    expect(errors).toEqual([]);
  }, 60_000);

  it('says clearly when a user has no profile', async () => {
    const page = await browser.newPage();
    await page.goto(`${fuser.baseUrl}/explorer?user=${encodeURIComponent('nobody here')}`);
    await page.waitForSelector('#status.error', { timeout: 30_000 });
    expect(await page.textContent('#status')).toContain('No profile for "nobody here"');
    expect(await page.isHidden('#profile')).toBe(true);
  }, 60_000);
});
