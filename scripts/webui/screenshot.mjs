// Backs scripts/webui-screenshot: opens a job's page in the Flink web UI in headless Chromium
// (Debian's, driven by playwright-core), waits until it shows EXPECTED (the job's name), saves a
// screenshot; with a vertex id, opens that vertex's Metrics tab, adds the METRICs and saves a
// second screenshot, OUT with "-metrics" before ".png".
//
//   node screenshot.mjs REST_URL JOB_ID OUT.png EXPECTED [VERTEX_ID METRIC...]
//
// Exit 0 when the page rendered EXPECTED, 1 when it did not.
import { chromium } from 'playwright-core';

const [rest, job, out, expected, vertex, ...metrics] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
});
let code = 0;
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const overview = `${rest}/#/job/running/${job}/overview`;
  await page.goto(overview);
  const rendered = await page.getByText(expected).first()
    .waitFor({ timeout: 60000 }).then(() => true, () => false);
  // The job graph and the vertex table come from further REST calls.
  await page.locator('flink-dagre, nz-table').first().waitFor({ timeout: 30000 }).catch(() => {});
  await page.waitForTimeout(2000); // let the graph lay itself out before the picture
  await page.screenshot({ path: out });
  if (!rendered) {
    console.error(`webui: ${overview} did not render '${expected}' within 60 s (screenshot ${out})`);
    code = 1;
  } else {
    console.log(`webui: ${overview} rendered '${expected}'; screenshot ${out}`);
  }
  if (rendered && vertex) {
    const metricsOut = out.replace(/\.png$/, '') + '-metrics.png';
    try {
      await page.goto(`${rest}/#/job/running/${job}/overview/${vertex}/metrics`);
      for (const m of metrics) {
        const select = page.locator('nz-select').last();
        await select.click({ timeout: 20000 });
        await page.keyboard.type(m);
        await page.locator('nz-option-item').filter({ hasText: m }).first()
          .click({ timeout: 20000 });
        await page.keyboard.press('Escape');
      }
      await page.waitForTimeout(4000); // the metric cards poll their first values
      await page.screenshot({ path: metricsOut });
      console.log(`webui: metrics ${metrics.join(', ')} shown; screenshot ${metricsOut}`);
    } catch (e) {
      await page.screenshot({ path: metricsOut });
      console.error(`webui: could not add the metrics (${e.message.split('\n')[0]}); screenshot ${metricsOut}`);
    }
  }
} finally {
  await browser.close();
}
process.exit(code);
