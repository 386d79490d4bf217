// The application shell: routes (real URLs), the signed-in layout (header with the credit
// balance, sidebar with the two apps) and the session gate.
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { serviceStore } from "./api/client";
import { balanceStore, loadProfile, profileStore, signOut, tokenStore } from "./api/session";
import { Link, match, navigate, useLocation } from "./lib/router";
import { useStore } from "./lib/store";
import { AccountCredits, AccountProfile } from "./screens/account";
import { AdminRequests } from "./screens/admin";
import { Register, SignIn } from "./screens/auth";
import { AvatarPage } from "./screens/avatars/avatar";
import { AvatarProjectPage } from "./screens/avatars/project";
import { AvatarProjects } from "./screens/avatars/projects";
import { PresetGallery } from "./screens/avatars/presets";
import { Home, NotFound } from "./screens/home";
import { GeneratePoses } from "./screens/poses/generate";
import { GenerationPage } from "./screens/poses/generation";
import { GenerationHistory } from "./screens/poses/history";
import { PoseLibrary } from "./screens/poses/library";
import { LibraryPosePage } from "./screens/poses/pose";
import { PoseProjectPage } from "./screens/poses/project";
import { PoseProjects } from "./screens/poses/projects";
import { PoseRequests } from "./screens/poses/requests";
import { Loading } from "./ui/kit";

type Screen = (params: Record<string, string>) => JSX.Element;
const publicRoutes: [string, Screen][] = [
    ["/signin", () => <SignIn />],
    ["/register", () => <Register />],
];
const routes: [string, Screen][] = [
    ["/", () => <Home />],
    ["/account", () => <AccountProfile />],
    ["/account/credits", () => <AccountCredits />],
    ["/avatars", () => <AvatarProjects />],
    ["/avatars/presets", () => <PresetGallery />],
    ["/avatars/projects/:id", (p) => <AvatarProjectPage id={p.id ?? ""} />],
    ["/avatars/avatar/:id", (p) => <AvatarPage id={p.id ?? ""} />],
    ["/poses", () => <PoseLibrary />],
    ["/poses/library/:id", (p) => <LibraryPosePage id={p.id ?? ""} />],
    ["/poses/projects", () => <PoseProjects />],
    ["/poses/projects/:id", (p) => <PoseProjectPage id={p.id ?? ""} />],
    ["/poses/generate", () => <GeneratePoses />],
    ["/poses/generations", () => <GenerationHistory />],
    ["/poses/generations/:id", (p) => <GenerationPage id={p.id ?? ""} />],
    ["/poses/requests", () => <PoseRequests />],
    ["/admin/requests", () => <AdminRequests />],
];

function find(table: [string, Screen][], path: string): JSX.Element | null {
    for (const [pattern, screen] of table) {
        const params = match(pattern, path);
        if (params) return screen(params);
    }
    return null;
}

export function App() {
    const { path, search } = useLocation();
    const token = useStore(tokenStore);
    const publicScreen = find(publicRoutes, path);

    // Signed out on a private page: sign in first, then come back here.
    useEffect(() => {
        if (!token && !publicScreen) navigate(`/signin?next=${encodeURIComponent(path + search)}`, { replace: true });
    }, [token, publicScreen, path, search]);
    // Signed in on the sign-in page (a reload, or another tab): go on.
    useEffect(() => {
        if (token && publicScreen) {
            const next = new URLSearchParams(search).get("next");
            navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/", { replace: true });
        }
    }, [token, publicScreen, search]);

    if (publicScreen) return token ? <Loading /> : <AuthLayout>{publicScreen}</AuthLayout>;
    if (!token) return <Loading />;
    return <Shell>{find(routes, path) ?? <NotFound />}</Shell>;
}

function AuthLayout({ children }: { children: ComponentChildren }) {
    return (
        <div class="auth">
            <header class="auth__brand">
                <Logo />
                <span>Creator Studio</span>
            </header>
            <main class="auth__card" id="main">
                {children}
            </main>
            <footer class="auth__foot muted small">Avatar Creator · Pose Generator</footer>
        </div>
    );
}

function Logo() {
    return (
        <svg class="logo" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
            <rect width="32" height="32" rx="8" fill="currentColor" />
            <circle cx="16" cy="12" r="5" fill="#fff" />
            <path d="M7 27c1.5-5 5-7.5 9-7.5s7.5 2.5 9 7.5" fill="#fff" />
        </svg>
    );
}

function Shell({ children }: { children: ComponentChildren }) {
    const profile = useStore(profileStore);
    const balance = useStore(balanceStore);
    const service = useStore(serviceStore);
    const { path } = useLocation();
    const [menuOpen, setMenuOpen] = useState(false);

    useEffect(() => {
        if (!profileStore.get()) void loadProfile();
    }, []);
    // A new page: close the mobile menu and move focus to its heading (once it has loaded), so
    // that a screen reader announces it; unless the person has already moved on in the page.
    const firstPath = useRef(true);
    useEffect(() => {
        setMenuOpen(false);
        if (firstPath.current) {
            firstPath.current = false;
            return undefined;
        }
        let tries = 0;
        const t = setInterval(() => {
            const h = document.getElementById("page-title");
            const active = document.activeElement;
            const free = !active || active === document.body || active.closest(".sidebar, .topbar") !== null;
            if ((h && free) || ++tries > 40 || !free) {
                clearInterval(t);
                if (h && free) h.focus({ preventScroll: true });
            }
        }, 50);
        return () => clearInterval(t);
    }, [path]);

    // Escape closes the mobile menu and gives focus back to its button.
    useEffect(() => {
        if (!menuOpen) return undefined;
        const onKey = (e: KeyboardEvent) => {
            if (e.key !== "Escape") return;
            setMenuOpen(false);
            document.querySelector<HTMLButtonElement>(".topbar__menu")?.focus();
        };
        document.addEventListener("keydown", onKey);
        return () => document.removeEventListener("keydown", onKey);
    }, [menuOpen]);

    const isAdmin = profile?.role === "admin";
    return (
        <div class="shell">
            <a class="skip-link" href="#main">
                Skip to content
            </a>
            <header class="topbar">
                <button
                    type="button"
                    class="btn btn--ghost btn--icon topbar__menu"
                    aria-expanded={menuOpen}
                    aria-controls="sidebar"
                    onClick={() => setMenuOpen(!menuOpen)}
                >
                    <span aria-hidden="true">☰</span>
                    <span class="sr-only">Menu</span>
                </button>
                <Link class="topbar__brand" href="/">
                    <Logo />
                    <span>Creator Studio</span>
                </Link>
                <div class="topbar__right">
                    <Link class="balance" href="/account/credits">
                        <span class="balance__coin" aria-hidden="true">◆</span>
                        <span class="sr-only">Credit balance:</span>
                        <span data-testid="balance">{balance ?? "…"}</span>
                        <span class="balance__unit">credits</span>
                    </Link>
                    <Link class="topbar__user" href="/account">
                        <span class="sr-only">Profile: </span>
                        <span class="avatar-dot" aria-hidden="true">
                            {(profile?.name || profile?.email || "?").slice(0, 1).toUpperCase()}
                        </span>
                        <span class="topbar__name">{profile?.name || profile?.email || ""}</span>
                    </Link>
                    <button type="button" class="btn btn--ghost" onClick={() => void signOut()}>
                        Sign out
                    </button>
                </div>
            </header>
            {service === "retrying" && (
                <div class="banner" role="status">
                    The service is unavailable, retrying…
                </div>
            )}
            <div class="shell__body">
                <nav id="sidebar" class={menuOpen ? "sidebar sidebar--open" : "sidebar"} aria-label="Main">
                    <div class="sidebar__inner">
                    <NavGroup title="Overview">
                        <NavLink href="/" label="Home" />
                    </NavGroup>
                    <NavGroup title="Avatar Creator">
                        <NavLink href="/avatars" label="Projects" prefix="/avatars/projects" also="/avatars/avatar" />
                        <NavLink href="/avatars/presets" label="Preset gallery" />
                    </NavGroup>
                    <NavGroup title="Pose Generator">
                        <NavLink href="/poses" label="Pose library" prefix="/poses/library" />
                        <NavLink href="/poses/projects" label="Projects" prefix="/poses/projects" />
                        <NavLink href="/poses/generate" label="New generation" />
                        <NavLink href="/poses/generations" label="Generations" prefix="/poses/generations" />
                        <NavLink href="/poses/requests" label="Pose requests" />
                    </NavGroup>
                    {isAdmin && (
                        <NavGroup title="Admin">
                            <NavLink href="/admin/requests" label="Request queue" />
                        </NavGroup>
                    )}
                    <NavGroup title="Account">
                        <NavLink href="/account" label="Profile" />
                        <NavLink href="/account/credits" label="Credit history" />
                    </NavGroup>
                    </div>
                </nav>
                <main id="main" class="main" tabIndex={-1}>
                    {children}
                </main>
            </div>
        </div>
    );
}

function NavGroup({ title, children }: { title: string; children: ComponentChildren }) {
    return (
        <div class="nav-group">
            <p class="nav-group__title">{title}</p>
            <ul>{children}</ul>
        </div>
    );
}

function NavLink({ href, label, prefix, also }: { href: string; label: string; prefix?: string; also?: string }) {
    const { path } = useLocation();
    const active =
        path === href || (prefix !== undefined && path.startsWith(prefix + "/")) || (also !== undefined && path.startsWith(also + "/"));
    return (
        <li>
            <Link class={active ? "nav-link nav-link--active" : "nav-link"} href={href}>
                {label}
            </Link>
        </li>
    );
}
