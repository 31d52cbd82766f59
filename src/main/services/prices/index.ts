// The price sources the console composes (src/main/api/create.ts); the rest of prices/ is imported by its own file.
export { staticPrices, type PriceSource } from './source';
export { RandomWalkSimulator } from './simulator';
