export { readTicks, readTickRows, setTicks, tickOf, type TickRow } from './ticks';
export { staticPrices, type PriceSource } from './source';
export { RandomWalkSimulator, mulberry32, type SimulatorOptions } from './simulator';
export { parseTicksCsv, parseInstant, parseAsOf, TickCsvError } from './csv';
