import { useEffect, useState } from 'react';
import { networkTokensWords, type ResultOf } from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';

type NetworkInfo = ResultOf<'wallet.network'>;

/**
 * What a network's tokens are worth and why, after its name: test money, money at the user's
 * token value, or (marked, so it is seen) a chain Roost does not know, where nobody said.
 */
export function NetworkTokens({
  network,
  capital = false,
}: {
  network: Pick<NetworkInfo, 'chainId' | 'test' | 'tokensDecidedBy'>;
  /** First on its line: a capital first letter ("The built-in test network; …"). */
  capital?: boolean;
}) {
  const { settings } = useAgent();
  if (!settings) return null;
  // Saved before the chain could be asked: the rule wins, and the page says the choice is moot.
  const moot =
    network.tokensDecidedBy === 'test-chain' &&
    settings.network.name === 'custom' &&
    settings.network.tokens === 'real';
  return (
    <span
      className={network.tokensDecidedBy === 'default' ? 'note-warn' : undefined}
      data-testid="network-tokens"
    >
      {capital
        ? sentenceCase(networkTokensWords(network, settings.pricing))
        : networkTokensWords(network, settings.pricing)}
      {moot ? ' (your choice of real money does not apply on a test network)' : ''}
    </span>
  );
}

const sentenceCase = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * A network by what it is, then what its tokens are worth: "The built-in test network; its
 * tokens are test money with no value", "Custom network · chain 5; …". Not the setting's id
 * ("local network · the built-in test network; …" said the same network twice).
 */
export function NetworkNamed({
  network,
  capital = true,
}: {
  network: Pick<NetworkInfo, 'name' | 'chainId' | 'test' | 'tokensDecidedBy'>;
  /** False after words of its own ("Now: the built-in test network; …"). */
  capital?: boolean;
}) {
  return network.name === 'local' ? (
    <NetworkTokens network={network} capital={capital} />
  ) : (
    <>
      {capital ? 'Custom' : 'custom'} network · <NetworkTokens network={network} />
    </>
  );
}

/**
 * Settings → Network: the network Roost works on now and what its tokens are worth, read from the
 * agent (the chain says its id), again after each change. Nothing while the chain can't say.
 */
export function NetworkTokensNow() {
  const { client, settings } = useAgent();
  const [network, setNetwork] = useState<NetworkInfo>();
  const saved = settings?.network;
  useEffect(() => {
    let live = true;
    void client.call('wallet.network').then((r) => {
      if (live) setNetwork(r.ok ? r.value : undefined);
    });
    return () => {
      live = false;
    };
  }, [client, saved]);
  if (!network) return null;
  return (
    <p data-testid="network-now">
      Now: <NetworkNamed network={network} capital={false} />
    </p>
  );
}
