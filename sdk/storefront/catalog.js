// The shop's catalog (a real shop renders this server-side): computers & electronics, prices in EUR.
window.CATALOG = {
  currency: "EUR",
  categories: {
    notebooks: { name: "Notebooks", path: "computers.notebook" },
    monitors: { name: "Monitors", path: "peripherals.monitor" },
    components: { name: "Components", path: "computers.component" },
    accessories: { name: "Accessories", path: "peripherals.accessory" },
  },
  products: [
    { id: "nb-aero-14", name: "Aero 14 Notebook, 16 GB, 1 TB SSD", brand: "Lumen", category: "notebooks", price: 1099.0 },
    { id: "nb-work-15", name: "WorkMate 15 Business Notebook", brand: "Corvid", category: "notebooks", price: 849.0 },
    { id: "nb-play-16", name: "Play 16 Gaming Notebook, RTX", brand: "Vanta", category: "notebooks", price: 1649.0 },
    { id: "mon-27-qhd", name: "27\" QHD IPS Monitor, 165 Hz", brand: "Pixelia", category: "monitors", price: 289.9 },
    { id: "mon-32-uhd", name: "32\" 4K USB-C Monitor", brand: "Pixelia", category: "monitors", price: 449.0 },
    { id: "mon-24-office", name: "24\" Office Monitor", brand: "Corvid", category: "monitors", price: 129.0 },
    { id: "ssd-2tb-nvme", name: "2 TB NVMe SSD, PCIe 4.0", brand: "Flashline", category: "components", price: 139.9 },
    { id: "gpu-4070", name: "GeForce RTX 4070 12 GB", brand: "Vanta", category: "components", price: 589.0 },
    { id: "ram-32-ddr5", name: "32 GB DDR5-6000 Kit", brand: "Flashline", category: "components", price: 99.9 },
    { id: "acc-dock-usbc", name: "USB-C Dock, 2x HDMI, 100 W", brand: "Linkport", category: "accessories", price: 119.0 },
    { id: "acc-mouse-mx", name: "Wireless Mouse, silent", brand: "Linkport", category: "accessories", price: 34.9 },
    { id: "acc-keys-mech", name: "Mechanical Keyboard, brown switches", brand: "Keyforge", category: "accessories", price: 89.0 },
  ],
};
