/*
 * The loader of UIkit's test pages (tests/js/test.js), which uikit's build compiles from
 * tests/js/index.js and the npm package does not ship: without it every test page loads with no
 * stylesheet and no UIkit script, so nothing opens. This is that file written out by hand for
 * uikit 3.25.29 with the same behaviour: the stylesheet and scripts from dist/, and the component,
 * theme, inverse and RTL switchers. The component list is the package's tests/*.html (what the
 * build's virtual:tests module holds), sorted as the build sorts it.
 */
(() => {
    const tests = ['accordion', 'alert', 'align', 'animation', 'article', 'background', 'badge', 'base', 'breadcrumb', 'button', 'card', 'close', 'column', 'comment', 'container', 'countdown', 'cover', 'description-list', 'divider', 'dotnav', 'drop', 'dropbar', 'dropdown', 'dropnav', 'filter', 'flex', 'form', 'grid-masonry', 'grid-parallax', 'grid', 'heading', 'height-expand', 'height-viewport', 'height', 'icon', 'iconnav', 'image', 'label', 'leader', 'lightbox', 'link', 'list', 'margin', 'marker', 'modal', 'nav', 'navbar', 'notification', 'offcanvas', 'overlay', 'padding', 'pagination', 'parallax', 'placeholder', 'position', 'progress', 'scroll', 'scrollspy', 'search', 'section', 'slidenav', 'slider', 'slideshow', 'sortable', 'spinner', 'sticky-navbar', 'sticky-parallax', 'sticky', 'subnav', 'svg', 'switcher', 'tab', 'table', 'text', 'thumbnav', 'tile', 'toggle', 'tooltip', 'totop', 'transition', 'upload', 'utility', 'video', 'visibility', 'width'];
    const storage = window.sessionStorage;
    const key = '_uikit_style';
    const keyinverse = '_uikit_inverse';
    const ucfirst = (value) => value.charAt(0).toUpperCase() + value.slice(1);
    const getParam = (name) => {
        const match = new RegExp('[?&]' + name + '=([^&]*)').exec(window.location.search);
        return match && decodeURIComponent(match[1].replace(/\+/g, ' '));
    };
    const styles = {
        core: { css: '../dist/css/uikit-core.css' },
        theme: { css: '../dist/css/uikit.css' },
    };
    const component = location.pathname.split('/').pop().replace(/.html$/, '');
    const variations = { '': 'Default', light: 'Dark', dark: 'Light' };
    if (getParam('style') && getParam('style').match(/\.(json|css)$/)) styles.custom = getParam('style');
    storage[key] = storage[key] || 'core';
    storage[keyinverse] = storage[keyinverse] || '';
    const dir = storage._uikit_dir || 'ltr';
    document.dir = dir;
    const style = styles[storage[key]] || styles.theme;
    document.writeln('<link rel="stylesheet" href="' + (dir !== 'rtl' ? style.css : style.css.replace('.css', '-rtl.css')) + '">');
    document.writeln('<style>html:not(:has(body :first-child [aria-label="Component switcher"])) {padding-top: 80px}</style>');
    document.writeln('<script src="../dist/js/uikit.js"><\/script>');
    document.writeln('<script src="' + (style.icons ? style.icons : '../dist/js/uikit-icons.js') + '"><\/script>');

    window.addEventListener('load', () => setTimeout(() => requestAnimationFrame(() => {
        const container = document.createElement('div');
        container.className = 'uk-container';
        container.innerHTML =
            '<select class="uk-select uk-form-width-small" style="margin: 20px 20px 20px 0" aria-label="Component switcher">' +
            '<option value="index.html">Overview</option>' +
            tests.map((name) => '<option value="' + name + '.html">' + name.split('-').map(ucfirst).join(' ') + '</option>').join('') +
            '</select>' +
            '<select class="uk-select uk-form-width-small" style="margin: 20px" aria-label="Theme switcher">' +
            Object.keys(styles).map((name) => '<option value="' + name + '">' + ucfirst(name) + '</option>').join('') +
            '</select>' +
            '<select class="uk-select uk-form-width-small" style="margin: 20px" aria-label="Inverse switcher">' +
            Object.keys(variations).map((name) => '<option value="' + name + '">' + variations[name] + '</option>').join('') +
            '</select>' +
            '<label style="margin: 20px"><input type="checkbox" class="uk-checkbox"/><span style="margin: 5px">RTL</span></label>';
        document.body.prepend(container);
        const [tests$, styles$, inverse$, rtl$] = container.children;
        tests$.addEventListener('change', () => {
            if (tests$.value) location.href = tests$.value + (styles.custom ? '?style=' + getParam('style') : '');
        });
        tests$.value = (component || 'index') + '.html';
        styles$.addEventListener('change', () => {
            storage[key] = styles$.value;
            location.reload();
        });
        styles$.value = storage[key];
        inverse$.value = storage[keyinverse];
        if (inverse$.value) {
            for (const el of document.querySelectorAll('*')) {
                el.classList.remove('uk-card-default', 'uk-card-muted', 'uk-card-primary', 'uk-card-secondary', 'uk-card-overlay', 'uk-tile-default', 'uk-tile-muted', 'uk-tile-primary', 'uk-tile-secondary', 'uk-section-default', 'uk-section-muted', 'uk-section-primary', 'uk-section-secondary', 'uk-overlay-default', 'uk-overlay-primary');
            }
            for (const el of document.querySelectorAll('.uk-navbar-container')) el.classList.add('uk-navbar-transparent');
            document.documentElement.style.background = inverse$.value === 'dark' ? '#fff' : '#222';
            document.body.classList.add('uk-' + inverse$.value);
        }
        inverse$.addEventListener('change', () => {
            storage[keyinverse] = inverse$.value;
            location.reload();
        });
        rtl$.addEventListener('change', (event) => {
            storage._uikit_dir = event.target.checked ? 'rtl' : 'ltr';
            location.reload();
        });
        rtl$.firstElementChild.checked = dir === 'rtl';
    }), 100));
})();
