// Voltbyte Computers: a static demo shop instrumented with the clickstream SDK the way a real shop would be.
// Each page renders from the catalog; the cart and orders live in localStorage (a real shop's backend).
(function () {
  "use strict";
  const cs = window.clickstream;
  const { products, categories, currency } = window.CATALOG;
  const page = document.body.dataset.page;
  const params = new URLSearchParams(location.search);
  const main = document.getElementById("main");
  const money = (n) => new Intl.NumberFormat("en-IE", { style: "currency", currency }).format(n);
  const byId = (id) => products.find((p) => p.id === id);
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  // Product lines as the event contract has them (ecom / ecom.items[]).
  const line = (p, qty) => {
    const l = { product_id: p.id, product_name: p.name, brand: p.brand, category: categories[p.category].path, price: p.price };
    return qty ? { ...l, qty } : l;
  };

  // -- the cart: [{id, qty}] ----------------------------------------------------------------------------
  const cart = {
    get: () => JSON.parse(localStorage.getItem("shop_cart") || "[]"),
    save(items) {
      localStorage.setItem("shop_cart", JSON.stringify(items));
      document.getElementById("cart-count").textContent = items.reduce((n, i) => n + i.qty, 0);
    },
    lines: () => cart.get().map((i) => ({ ...i, product: byId(i.id) })).filter((i) => i.product),
    total: () => Math.round(cart.lines().reduce((s, i) => s + i.product.price * i.qty, 0) * 100) / 100,
  };
  cart.save(cart.get());

  // -- analytics: one init per page; product pages send their own (product) page view --------------------
  cs.init({ ...window.SHOP_CONFIG, pageview: page !== "product" });
  document.addEventListener("click", (e) => {
    const el = e.target.closest("[data-track]");
    if (el) cs.track("click", { element: el.dataset.track });
  });
  const privacy = document.getElementById("privacy");
  privacy.addEventListener("click", (e) => {
    e.preventDefault();
    const out = localStorage.getItem("cs_out");
    out ? cs.optIn() : cs.optOut();
    privacy.textContent = out ? "Do not track me" : "Tracking is off: turn it back on";
  });
  if (localStorage.getItem("cs_out")) privacy.textContent = "Tracking is off: turn it back on";

  const card = (p) => `
    <div class="card">
      <a href="product.html?id=${p.id}" data-track="product_card">
        <div class="img">${esc(p.brand)}</div>
        <div>${esc(p.name)}</div>
        <div class="price">${money(p.price)}</div>
      </a>
    </div>`;

  const render = {
    index() {
      main.innerHTML = `<h1>Computers &amp; electronics, delivered tomorrow</h1>
        <div class="notice">Free shipping on orders over ${money(50)}.</div>
        <div class="grid">${products.filter((_, i) => i % 3 === 0).map(card).join("")}</div>`;
    },
    category() {
      const key = params.get("c");
      const cat = categories[key];
      if (!cat) return (main.innerHTML = "<h1>No such category</h1>");
      main.innerHTML = `<h1>${cat.name}</h1><div class="grid">${products.filter((p) => p.category === key).map(card).join("")}</div>`;
    },
    product() {
      const p = byId(params.get("id"));
      if (!p) {
        cs.page();
        return (main.innerHTML = "<h1>Product not found</h1>");
      }
      document.title = `${p.name} | Voltbyte Computers`;
      cs.viewProduct({ ...line(p), currency });
      main.innerHTML = `<div class="product">
          <div class="img">${esc(p.brand)}</div>
          <div>
            <h1>${esc(p.name)}</h1>
            <div class="muted">${esc(p.brand)} · ${categories[p.category].name}</div>
            <div class="price">${money(p.price)}</div>
            <label>Quantity <input id="qty" type="number" min="1" max="10" value="1" style="width:4rem"></label>
            <p><button id="add" data-track="add_to_cart_button">Add to cart</button></p>
            <p id="added" class="muted" hidden>Added. <a href="cart.html">Go to cart</a></p>
          </div>
        </div>`;
      document.getElementById("add").addEventListener("click", () => {
        const qty = Math.max(1, Math.min(10, parseInt(document.getElementById("qty").value, 10) || 1));
        const items = cart.get();
        const found = items.find((i) => i.id === p.id);
        found ? (found.qty += qty) : items.push({ id: p.id, qty });
        cart.save(items);
        cs.addToCart({ ...line(p, qty), currency });
        document.getElementById("added").hidden = false;
      });
    },
    search() {
      const q = (params.get("q") || "").trim();
      const words = q.toLowerCase().split(/\s+/).filter(Boolean);
      const hits = products.filter((p) => words.every((w) => `${p.name} ${p.brand} ${p.category}`.toLowerCase().includes(w)));
      if (q) cs.search(q, { results: hits.length });
      main.innerHTML = `<h1>${hits.length} results for “${esc(q)}”</h1><div class="grid">${hits.map(card).join("")}</div>`;
    },
    cart() {
      const lines = cart.lines();
      if (!lines.length) return (main.innerHTML = `<h1>Your cart is empty</h1><a class="button" href="index.html">Shop on</a>`);
      main.innerHTML = `<h1>Your cart</h1><table>
          <tr><th>Product</th><th>Qty</th><th>Price</th><th></th></tr>
          ${lines.map((i) => `<tr><td>${esc(i.product.name)}</td><td>${i.qty}</td><td>${money(i.product.price * i.qty)}</td>
            <td><button class="secondary" data-remove="${i.id}">Remove</button></td></tr>`).join("")}
          <tr><th>Total</th><th></th><th id="total">${money(cart.total())}</th><th></th></tr>
        </table><p><a class="button" id="to-checkout" href="checkout.html" data-track="checkout_button">Checkout</a></p>`;
      main.querySelectorAll("[data-remove]").forEach((b) =>
        b.addEventListener("click", () => {
          const item = cart.get().find((i) => i.id === b.dataset.remove);
          cart.save(cart.get().filter((i) => i.id !== b.dataset.remove));
          cs.removeFromCart({ ...line(byId(item.id), item.qty), currency });
          render.cart();
        }),
      );
    },
    checkout() {
      const lines = cart.lines();
      if (!lines.length) return (main.innerHTML = `<h1>Your cart is empty</h1>`);
      cs.checkout({ items: lines.map((i) => line(i.product, i.qty)), revenue: cart.total(), currency });
      main.innerHTML = `<h1>Checkout</h1>
        <form class="checkout" id="checkout">
          <label>Customer number (optional, to sign in) <input name="customer" id="customer" autocomplete="off"></label>
          <label>Name <input name="name" id="name" required></label>
          <label>E-mail (for the receipt) <input name="email" id="email" type="email" required></label>
          <label>Address <input name="address" id="address" required></label>
          <label>Payment <select name="payment" id="payment" data-track="payment_method">
            <option>Card</option><option>PayPal</option><option>Invoice</option></select></label>
          <div>Total: <b>${money(cart.total())}</b></div>
          <button type="submit" id="place-order" data-track="place_order">Place order</button>
        </form>`;
      document.getElementById("checkout").addEventListener("submit", async (e) => {
        e.preventDefault();
        const form = new FormData(e.target);
        const customer = String(form.get("customer") || "").trim();
        // The e-mail address never goes to analytics: only an opaque customer id does.
        if (customer) await cs.identify(`cust-${customer.replace(/[^A-Za-z0-9_-]/g, "")}`);
        const order = {
          order_id: `VB-${Date.now().toString(36).toUpperCase()}-${Math.random().toString(36).slice(2, 6).toUpperCase()}`,
          revenue: cart.total(),
          currency,
          items: cart.lines().map((i) => line(i.product, i.qty)),
        };
        localStorage.setItem(`shop_order_${order.order_id}`, JSON.stringify(order));
        location.href = `order.html?order=${encodeURIComponent(order.order_id)}`;
      });
    },
    order() {
      const id = params.get("order");
      const order = id && JSON.parse(localStorage.getItem(`shop_order_${id}`) || "null");
      if (!order) return (main.innerHTML = "<h1>No such order</h1>");
      // The thank-you page may be reloaded: the purchase is sent once per order.
      if (!order.tracked) {
        const { tracked, ...purchase } = order;
        cs.purchase(purchase);
        order.tracked = true;
        localStorage.setItem(`shop_order_${id}`, JSON.stringify(order));
        cart.save([]);
      }
      main.innerHTML = `<h1>Thank you for your order</h1>
        <p>Order <b id="order-id">${esc(order.order_id)}</b>, ${money(order.revenue)}, is on its way.</p>
        <a class="button" href="index.html">Back to the shop</a>`;
    },
  };
  (render[page] || render.index)();
})();
