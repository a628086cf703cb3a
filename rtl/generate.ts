// The whole generated design for one HwConfig: every module as its own file, named after the module.
import { HwConfig } from '../hw/config.js';
import { DRAM_MODEL_LATENCY, axiDmaParams, dramBytesPerCycle } from './axi-model.js';
import { hostLinkParams } from './host-link.js';
import { axiDmaModule } from './modules/axi-dma.js';
import { memEngineParams } from './mem-engine-model.js';
import { memLoaderModule } from './modules/mem-loader.js';
import { memStorerModule } from './modules/mem-storer.js';
import { sequencerModule } from './modules/sequencer.js';
import { stagingModule } from './modules/staging-buffer.js';
import { IM_ADDR_BITS, systemModule } from './modules/system.js';
import { systemSimModule } from './modules/system-sim.js';
import { axiDramModelModule } from './modules/axi-dram-model.js';
import { hostLinkModule } from './modules/host-link.js';
import { uartRxModule, uartTxModule } from './modules/uart.js';
import { fusionUnitModules } from './modules/fusion-unit.js';
import { ibufModule, obufModule, sdpRamModule, wbufModule } from './modules/buffers.js';
import { controllerModule } from './modules/controller.js';
import { coreModule } from './modules/core.js';
import { layerTopModule } from './modules/layer-top.js';
import { outputUnitModule } from './modules/output-unit.js';
import { systolicArrayModule } from './modules/systolic-array.js';
import { RtlParams, rtlParams, summary } from './params.js';
import { Provenance, VerilogModule } from './verilog.js';

export interface RtlDesign {
  params: RtlParams;
  modules: VerilogModule[];
}

export function provenance(p: RtlParams): Provenance {
  return { configName: p.configName, configSummary: summary(p) };
}

export function generateRtl(cfg: HwConfig): RtlDesign {
  const params = rtlParams(cfg);
  const prov = provenance(params);
  // The memory engines share the DMA's bus width: the DRAM model of simulationModels answers them all.
  const engines = memEngineParams(params, axiDmaParams(params).dataBits);
  const modules = [
    ...fusionUnitModules({ configName: params.configName }),
    systolicArrayModule(params, prov),
    sdpRamModule(prov),
    ibufModule(params, prov),
    wbufModule(params, prov),
    obufModule(params, prov),
    controllerModule(params, prov),
    coreModule(params, prov),
    outputUnitModule(params, prov),
    layerTopModule(params, prov),
    axiDmaModule(axiDmaParams(params), prov),
    memLoaderModule(engines, prov),
    memStorerModule(engines, prov),
    sequencerModule(params, { imAddrBits: IM_ADDR_BITS }, prov),
    stagingModule(params, prov),
    systemModule(params, { imAddrBits: IM_ADDR_BITS, engines }, prov),
    ...hostLinkModules(params.clockMHz, prov),
  ];
  return { params, modules };
}

function hostLinkModules(clockMHz: number, prov: Provenance): VerilogModule[] {
  const h = hostLinkParams(clockMHz);
  return [uartRxModule(h.clksPerBit, prov), uartTxModule(h.clksPerBit, prov), hostLinkModule(h, prov)];
}

/**
 * The simulation-only models that go with the design: the DRAM behind axi_dma, at the config's bandwidth
 * (dramBytesPerCycle) and DRAM_MODEL_LATENCY, `words` beats big. For simulator source lists only: they are
 * not part of `generateRtl().modules`, so no synthesis file list (build.tcl, Yosys) ever holds them.
 */
export function simulationModels(cfg: HwConfig, words = 1 << 16): VerilogModule[] {
  const params = rtlParams(cfg);
  const dma = axiDmaParams(params);
  const engines = memEngineParams(params, dma.dataBits);
  const dram = { latency: DRAM_MODEL_LATENCY, bytesPerCycle: dramBytesPerCycle(cfg), queueDepth: 2 * Math.max(dma.maxOutstanding, engines.maxOutstanding) };
  const model = { ...dram, dataBits: dma.dataBits, addrBits: dma.addrBits, words };
  return [axiDramModelModule(model, provenance(params)), systemSimModule(params, { imAddrBits: IM_ADDR_BITS, engines }, model, provenance(params))];
}

/** File name -> text of the modules named (all when omitted), for the simulators. */
export function sourcesOf(design: RtlDesign, names?: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of design.modules) if (!names || names.includes(m.name)) out.set(`${m.name}.v`, m.text);
  return out;
}

export function moduleOf(design: RtlDesign, name: string): VerilogModule {
  const m = design.modules.find((x) => x.name === name);
  if (!m) throw new Error(`internal: no module ${name}`);
  return m;
}
