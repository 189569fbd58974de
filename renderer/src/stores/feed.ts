/**
 * The engine's two live streams, opened once per connection and shared: engine events (state changes, crashes,
 * recycles, debugging) and metrics (every app's and worker's latest second). Stores listen here instead of each
 * opening its own subscription.
 */
import { defineStore } from 'pinia';
import { useConnection } from './connection.js';
import type { EngineEvent } from '../../../core/control/protocol.js';
import type { MetricsBatch } from '../../../core/control/protocol.js';

type EventListener = (event: EngineEvent) => void;
type MetricsListener = (batch: MetricsBatch) => void;

export const useFeed = defineStore('feed', () => {
  const eventListeners = new Set<EventListener>();
  const metricsListeners = new Set<MetricsListener>();
  let attached = false;

  function attach(): void {
    if (attached) return;
    attached = true;
    useConnection().onConnected(async (client) => {
      await Promise.all([
        client.subscribe('events.subscribe', {}, (event) => {
          for (const listener of eventListeners) listener(event);
        }),
        client.subscribe('metrics.subscribe', {}, (batch) => {
          for (const listener of metricsListeners) listener(batch);
        }),
      ]);
    });
  }

  function onEvent(listener: EventListener): () => void {
    eventListeners.add(listener);
    return () => eventListeners.delete(listener);
  }

  function onMetrics(listener: MetricsListener): () => void {
    metricsListeners.add(listener);
    return () => metricsListeners.delete(listener);
  }

  return { attach, onEvent, onMetrics };
});
