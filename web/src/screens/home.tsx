import { api, run } from "../api/client";
import { profileStore } from "../api/session";
import { useLoad, useTitle } from "../lib/hooks";
import { Link } from "../lib/router";
import { useStore } from "../lib/store";
import { Img, LoadState, PageHeader, Stat } from "../ui/kit";

export function Home() {
    useTitle("Home");
    const profile = useStore(profileStore);
    const ac = useLoad(() => run(api.GET("/api/apps/avatar-creator/stats")), []);
    const pg = useLoad(() => run(api.GET("/api/apps/pose-generator/stats")), []);
    const hello = profile?.name ? `Hello, ${profile.name}` : "Welcome";
    return (
        <>
            <PageHeader title={hello} description="Create avatars, then put them in any pose from the library." />
            <div class="app-cards">
                <section class="app-card app-card--violet" aria-labelledby="ac-h">
                    <h2 id="ac-h">Avatar Creator</h2>
                    <p>Upload a photo, describe someone, or start from a preset. Give each avatar a persona.</p>
                    <LoadState state={ac} label="Loading Avatar Creator stats…">
                        {(s) => (
                            <div class="stats stats--compact">
                                <Stat label="Avatars" value={s.stats.totalAvatars} />
                                <Stat label="Projects" value={s.stats.totalProjects} />
                                <Stat label="New this week" value={s.stats.recentUploads} />
                                <Stat label="Times used" value={s.stats.totalUsage} />
                            </div>
                        )}
                    </LoadState>
                    <div class="row">
                        <Link class="btn btn--primary" href="/avatars">
                            Open projects
                        </Link>
                        <Link class="btn" href="/avatars/presets">
                            Browse presets
                        </Link>
                    </div>
                </section>
                <section class="app-card app-card--teal" aria-labelledby="pg-h">
                    <h2 id="pg-h">Pose Generator</h2>
                    <p>Pick poses from the library and generate your avatar in each of them, ready for every platform.</p>
                    <LoadState state={pg} label="Loading Pose Generator stats…">
                        {(s) => (
                            <div class="stats stats--compact">
                                <Stat label="Poses generated" value={s.totalPosesGenerated} />
                                <Stat label="Active projects" value={s.totalProjects} />
                                <Stat label="Generations this week" value={s.recentGenerations} />
                                <Stat label="Credits spent (30 days)" value={s.creditUsage.last30Days} />
                            </div>
                        )}
                    </LoadState>
                    <div class="row">
                        <Link class="btn btn--primary" href="/poses">
                            Browse the library
                        </Link>
                        <Link class="btn" href="/poses/generations">
                            Generations
                        </Link>
                    </div>
                </section>
            </div>
            <LoadState state={pg} label="">
                {(s) =>
                    s.topUsedPoses.length === 0 ? null : (
                        <section class="card">
                            <h2>Your most used poses</h2>
                            <ul class="mini-grid">
                                {s.topUsedPoses.map((p) => (
                                    <li key={p.poseId}>
                                        <Link href={`/poses/library/${p.poseId}`} class="mini-card">
                                            <Img src={p.previewUrl} alt="" />
                                            <span>{p.poseName}</span>
                                            <span class="muted small">used {p.usageCount}×</span>
                                        </Link>
                                    </li>
                                ))}
                            </ul>
                        </section>
                    )
                }
            </LoadState>
        </>
    );
}

export function NotFound() {
    useTitle("Not found");
    return (
        <>
            <PageHeader title="Page not found" description="There is nothing at this address." />
            <Link class="btn btn--primary" href="/">
                Go home
            </Link>
        </>
    );
}
