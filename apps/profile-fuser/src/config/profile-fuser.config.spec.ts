import { undocumentedVariables } from '@profilestream/config/testing';
import { fuserServiceEnvSchema, horizonName, loadProfileFuserConfig } from './profile-fuser.config';

describe('profile-fuser configuration', () => {
  it('boots with defaults: 1d, 7d and 90d horizons and the documented action weights', () => {
    const config = loadProfileFuserConfig({});
    expect(config.halfLivesMs).toEqual({ '1d': 86_400_000, '7d': 604_800_000, '90d': 7_776_000_000 });
    expect(config.actionWeights).toEqual({ view: 0.2, click: 0.5, like: 1, add_to_cart: 2, purchase: 3 });
    expect(config.apiToken).toBeNull();
    expect(config.service.HTTP_PORT).toBe(8083);
    expect(horizonName(36)).toBe('36h');
  });

  it('fails at boot naming each bad variable', () => {
    expect(() => loadProfileFuserConfig({ FUSER_ACTION_WEIGHTS: 'view=1,hover=2' })).toThrow(/FUSER_ACTION_WEIGHTS: "hover=2" is not action=weight/);
    expect(() => loadProfileFuserConfig({ FUSER_ACTION_WEIGHTS: 'view=1' })).toThrow(/missing weights for click, like, add_to_cart, purchase/);
    expect(() => loadProfileFuserConfig({ FUSER_HALF_LIVES_HOURS: '24,-1' })).toThrow(/FUSER_HALF_LIVES_HOURS: must be a comma-separated list of positive numbers/);
  });

  it('documents every variable in the README configuration table', () => {
    expect(undocumentedVariables(fuserServiceEnvSchema)).toEqual([]);
  });
});
