// The AXI4 signals of hwq's memory port, written once: the DMA engine drives them as the master (m_axi_*), the
// simulation DRAM model answers as the slave (s_axi_*). The master also drives the burst attributes a real
// interconnect wants (size, burst type, cache, protection); the model takes them as fixed and has no such inputs.
import { Port } from '../verilog.js';

interface AxiSignal {
  name: string;
  /** Driven by the master. */
  fromMaster: boolean;
  width: number | 'addr' | 'data' | 'strb';
  /** Only the master has it (constant attributes the DRAM model does not read). */
  masterOnly?: boolean;
}

const SIGNALS: AxiSignal[] = [
  { name: 'araddr', fromMaster: true, width: 'addr' },
  { name: 'arlen', fromMaster: true, width: 8 },
  { name: 'arsize', fromMaster: true, width: 3, masterOnly: true },
  { name: 'arburst', fromMaster: true, width: 2, masterOnly: true },
  { name: 'arcache', fromMaster: true, width: 4, masterOnly: true },
  { name: 'arprot', fromMaster: true, width: 3, masterOnly: true },
  { name: 'arvalid', fromMaster: true, width: 1 },
  { name: 'arready', fromMaster: false, width: 1 },
  { name: 'rdata', fromMaster: false, width: 'data' },
  { name: 'rresp', fromMaster: false, width: 2 },
  { name: 'rlast', fromMaster: false, width: 1 },
  { name: 'rvalid', fromMaster: false, width: 1 },
  { name: 'rready', fromMaster: true, width: 1 },
  { name: 'awaddr', fromMaster: true, width: 'addr' },
  { name: 'awlen', fromMaster: true, width: 8 },
  { name: 'awsize', fromMaster: true, width: 3, masterOnly: true },
  { name: 'awburst', fromMaster: true, width: 2, masterOnly: true },
  { name: 'awcache', fromMaster: true, width: 4, masterOnly: true },
  { name: 'awprot', fromMaster: true, width: 3, masterOnly: true },
  { name: 'awvalid', fromMaster: true, width: 1 },
  { name: 'awready', fromMaster: false, width: 1 },
  { name: 'wdata', fromMaster: true, width: 'data' },
  { name: 'wstrb', fromMaster: true, width: 'strb' },
  { name: 'wlast', fromMaster: true, width: 1 },
  { name: 'wvalid', fromMaster: true, width: 1 },
  { name: 'wready', fromMaster: false, width: 1 },
  { name: 'bresp', fromMaster: false, width: 2 },
  { name: 'bvalid', fromMaster: false, width: 1 },
  { name: 'bready', fromMaster: true, width: 1 },
];

/** AXI4 channels: all five, the read pair (AR, R) or the write triple (AW, W, B). */
export type AxiChannels = 'all' | 'read' | 'write';

const READ_SIGNAL = /^(ar|r)[a-z]+$/;

/**
 * The AXI4 ports of one side, with widths from the ADDR_W and DATA_W parameters; `channels` keeps only the
 * read or the write channels, for masters that drive one direction and are merged into one port above them.
 */
export function axiPorts(side: 'master' | 'slave', addrBits: number, dataBits: number, channels: AxiChannels = 'all'): Port[] {
  const master = side === 'master';
  const keep = (s: AxiSignal) => channels === 'all' || (channels === 'read') === READ_SIGNAL.test(s.name);
  return SIGNALS.filter((s) => (master || !s.masterOnly) && keep(s)).map((s): Port => {
    const dir = s.fromMaster === master ? 'output' : 'input';
    const name = `${master ? 'm' : 's'}_axi_${s.name}`;
    if (s.width === 'addr') return { name, dir, width: addrBits, widthExpr: 'ADDR_W' };
    if (s.width === 'data') return { name, dir, width: dataBits, widthExpr: 'DATA_W' };
    if (s.width === 'strb') return { name, dir, width: dataBits / 8, widthExpr: 'DATA_W/8' };
    return { name, dir, width: s.width };
  });
}
