import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import HttpsTrust from '../src/components/HttpsTrust.vue';
import { FakeCallError, FakeEngine } from './fake-engine.js';
import { connected, settle } from './setup.js';
import type { HttpsStatus } from '../../core/control/protocol.js';

afterEach(() => {
  document.body.innerHTML = '';
});

const linuxStatus: HttpsStatus = {
  port: 8443,
  problem: null,
  caPath: '/home/u/.config/berth/ca.pem',
  thumbprint: 'AB12',
  canInstall: false,
  steps: [
    { label: 'Debian, Ubuntu', commands: ["sudo cp '/home/u/.config/berth/ca.pem' /usr/local/share/ca-certificates/berth-local-ca.crt", 'sudo update-ca-certificates'] },
    { label: 'Chromium, Firefox', commands: ['certutil -d sql:$HOME/.pki/nssdb -A -t "C,," -n "Berth local CA" -i \'/home/u/.config/berth/ca.pem\''] },
  ],
};
const windowsStatus: HttpsStatus = {
  ...linuxStatus,
  caPath: 'C:\\Users\\u\\AppData\\Roaming\\Berth\\ca.pem',
  canInstall: true,
  steps: [{ label: "Windows (the current user's Root store)", commands: ['certutil -user -addstore Root "C:\\Users\\u\\AppData\\Roaming\\Berth\\ca.pem"'] }],
};

async function mountWith(engine: FakeEngine) {
  const { pinia } = await connected(engine);
  const wrapper = mount(HttpsTrust, { global: { plugins: [pinia] }, attachTo: document.body });
  await settle();
  return wrapper;
}

describe('Trust local HTTPS', () => {
  it('shows the HTTPS address and the CA, and trusts nothing until the button is clicked', async () => {
    const engine = new FakeEngine().on('https.status', () => linuxStatus).on('https.trust', () => ({ installed: false, output: '', status: linuxStatus }));
    const wrapper = await mountWith(engine);
    expect(wrapper.text()).toContain('https://<app>.localhost:8443/');
    expect(wrapper.text()).toContain('/home/u/.config/berth/ca.pem');
    expect(engine.calls.map((c) => c.method)).not.toContain('https.trust');
    expect(wrapper.find('[data-testid="trust-commands"]').exists()).toBe(false);
  });

  it('outside Windows the click shows the exact commands, with a copy button', async () => {
    const engine = new FakeEngine().on('https.status', () => linuxStatus).on('https.trust', () => ({ installed: false, output: '', status: linuxStatus }));
    const wrapper = await mountWith(engine);
    await wrapper.get('[data-action="trust-https"]').trigger('click');
    await settle();
    expect(engine.calls.filter((c) => c.method === 'https.trust')).toHaveLength(1);
    const commands = wrapper.get('[data-testid="trust-commands"]');
    expect(commands.text()).toContain('sudo update-ca-certificates');
    expect(commands.text()).toContain('Debian, Ubuntu');
    expect(commands.text()).toContain('certutil -d sql:$HOME/.pki/nssdb');
    expect(commands.get('button').text()).toContain('Copy all');
  });

  it('on Windows the click has the engine run certutil and says it is trusted', async () => {
    const engine = new FakeEngine().on('https.status', () => windowsStatus).on('https.trust', () => ({ installed: true, output: 'CertUtil: -addstore command completed successfully.', status: windowsStatus }));
    const wrapper = await mountWith(engine);
    expect(wrapper.text()).toContain('Windows asks you to confirm');
    await wrapper.get('[data-action="trust-https"]').trigger('click');
    await settle();
    expect(wrapper.get('[role="status"]').text()).toContain('Trusted');
    expect(wrapper.find('[data-testid="trust-commands"]').exists()).toBe(false);
  });

  it('a declined confirmation shows why', async () => {
    const engine = new FakeEngine()
      .on('https.status', () => windowsStatus)
      .on('https.trust', () => {
        throw new FakeCallError('TRUST_FAILED', 'certutil could not add Berth\'s local CA: The operation was canceled by the user.');
      });
    const wrapper = await mountWith(engine);
    await wrapper.get('[data-action="trust-https"]').trigger('click');
    await settle();
    expect(wrapper.get('[role="alert"]').text()).toContain('canceled by the user');
  });

  it('an engine without HTTPS says why and offers no button', async () => {
    const off: HttpsStatus = { port: null, problem: 'HTTPS is off for this run: port 8443 is in use.', caPath: null, thumbprint: null, canInstall: false, steps: [] };
    const wrapper = await mountWith(new FakeEngine().on('https.status', () => off));
    expect(wrapper.get('[data-testid="https-problem"]').text()).toContain('port 8443 is in use');
    expect(wrapper.find('[data-action="trust-https"]').exists()).toBe(false);
  });
});
